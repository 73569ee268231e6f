using System.Net.WebSockets;
using System.Text;
using ActorSocket.Actors.Connections;
using ActorSocket.Protocol;
using ActorSocket.Protocol.Framing;

namespace ActorSocket.Gateway.Tests;

/// <summary>Bad input gets the right close code, a log line, and the next client is still served.</summary>
public class ProtocolViolationTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync("actorsocket.max-message-size = 1000");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task AssertNextClientIsServedAsync()
    {
        using var client = new ClientWebSocket();
        await client.ConnectAsync(_server.Uri("/echo"), CancellationToken.None);
        await client.SendAsync("still here"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        var (_, data) = await EchoTests.ReceiveMessageAsync(client);
        Assert.Equal("still here", Encoding.UTF8.GetString(data));
    }

    private async Task AssertClosedWithAsync(byte[] frame, CloseCode expected)
    {
        await using RawClient raw = await RawClient.ConnectAsync(_server.Port);
        await raw.SendRawAsync(frame);
        Assert.Equal(expected, await raw.ReadCloseAsync());
        Assert.True(await raw.ServerClosedTcpAsync());
        ConnectionTerminated ended = await _server.NextTerminationAsync();
        Assert.Equal(expected, ended.CloseCode);
        Assert.Equal(TerminationCause.ProtocolError, ended.Cause);
        Assert.Contains(_server.LogEvents, e => e.MessageTemplate.Text.Contains("broke the protocol", StringComparison.Ordinal)
            && e.Properties["CloseCode"].ToString() == ((int)expected).ToString(System.Globalization.CultureInfo.InvariantCulture));
        await AssertNextClientIsServedAsync();
    }

    private static byte[] Masked(Opcode opcode, byte[] payload)
    {
        var writer = new System.Buffers.ArrayBufferWriter<byte>();
        FrameWriter.WriteFrame(writer, opcode, payload, maskKey: 0x01020304);
        return writer.WrittenSpan.ToArray();
    }

    [Fact]
    public Task An_oversize_message_is_closed_with_1009() => AssertClosedWithAsync(Masked(Opcode.Binary, new byte[1001]), CloseCode.MessageTooBig);

    [Fact]
    public async Task A_message_of_exactly_the_limit_is_echoed()
    {
        using var client = new ClientWebSocket();
        await client.ConnectAsync(_server.Uri("/echo"), CancellationToken.None);
        byte[] data = new byte[1000];
        await client.SendAsync(data, WebSocketMessageType.Binary, true, CancellationToken.None);
        var (_, received) = await EchoTests.ReceiveMessageAsync(client);
        Assert.Equal(1000, received.Length);
    }

    [Fact]
    public Task Invalid_UTF8_is_closed_with_1007() => AssertClosedWithAsync(Masked(Opcode.Text, [0x61, 0xC0, 0xAF]), CloseCode.InvalidPayloadData);

    [Fact]
    public Task An_unmasked_frame_is_closed_with_1002() => AssertClosedWithAsync([0x81, 0x02, 0x68, 0x69], CloseCode.ProtocolError);

    [Fact]
    public Task A_reserved_opcode_is_closed_with_1002() => AssertClosedWithAsync([0x83, 0x80, 1, 2, 3, 4], CloseCode.ProtocolError);
}
