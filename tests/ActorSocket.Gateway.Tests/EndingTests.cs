using System.Net.Sockets;
using System.Net.WebSockets;
using ActorSocket.Actors.Connections;
using ActorSocket.Protocol;

namespace ActorSocket.Gateway.Tests;

public class EndingTests
{
    [Fact]
    public async Task A_client_that_vanishes_produces_exactly_one_1006_termination_event_and_log_line()
    {
        await using TestServer server = await TestServer.StartAsync();
        RawClient raw = await RawClient.ConnectAsync(server.Port);
        raw.Codec.SendText("one"u8);
        await raw.FlushAsync();
        Assert.Equal(WebSocketEventKind.Text, (await raw.ReadEventAsync()).Kind);
        raw.Socket.Shutdown(SocketShutdown.Both);
        await raw.DisposeAsync(); // no close frame

        ConnectionTerminated ended = await server.NextTerminationAsync();
        Assert.Equal(CloseCode.AbnormalClosure, ended.CloseCode);
        Assert.Contains(ended.Cause, new[] { TerminationCause.Eof, TerminationCause.Reset });
        Assert.Equal("/echo", ended.Path);
        Assert.Equal(1, ended.MessagesIn);
        Assert.Equal(1, ended.MessagesOut);
        Assert.True(ended.BytesIn > 0 && ended.BytesOut > 0);
        Assert.StartsWith("127.0.0.1:", ended.RemoteAddress);

        // One structured line at Information, without a stack trace.
        var lines = server.LogEvents.Where(e => e.MessageTemplate.Text.Contains(" lost ", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(lines);
        Assert.Equal(Serilog.Events.LogEventLevel.Information, line.Level);
        Assert.Null(line.Exception);
        Assert.Equal("1006", line.Properties["CloseCode"].ToString());
        Assert.Equal(ended.ConnectionId.ToString(System.Globalization.CultureInfo.InvariantCulture), line.Properties["ConnectionId"].ToString());

        // Exactly one: nothing else arrives for it.
        await server.StopAsync();
        Assert.False(server.Terminations.TryRead(out _));
    }

    [Fact]
    public async Task A_normal_close_is_reported_with_its_code_at_debug()
    {
        await using TestServer server = await TestServer.StartAsync();
        using (var client = new ClientWebSocket())
        {
            await client.ConnectAsync(server.Uri("/echo"), CancellationToken.None);
            await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        }

        ConnectionTerminated ended = await server.NextTerminationAsync();
        Assert.Equal(TerminationCause.Closed, ended.Cause);
        Assert.Equal(CloseCode.NormalClosure, ended.CloseCode);
        Assert.Equal("bye", ended.Reason);
        Assert.Contains(server.LogEvents, e => e.Level == Serilog.Events.LogEventLevel.Debug && e.MessageTemplate.Text.Contains(" closed ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Graceful_shutdown_closes_every_connection_with_1001()
    {
        TestServer server = await TestServer.StartAsync();
        var clients = new List<ClientWebSocket>();
        for (int i = 0; i < 5; i++)
        {
            var client = new ClientWebSocket();
            await client.ConnectAsync(server.Uri("/echo"), CancellationToken.None);
            clients.Add(client);
        }

        // Each client answers the server's close, as a well-behaved client does.
        Task<WebSocketCloseStatus?>[] closes = clients.Select(async client =>
        {
            var buffer = new byte[16];
            WebSocketReceiveResult result = await client.ReceiveAsync(buffer, CancellationToken.None);
            Assert.Equal(WebSocketMessageType.Close, result.MessageType);
            await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
            return client.CloseStatus;
        }).ToArray();

        await server.DisposeAsync();
        foreach (WebSocketCloseStatus? status in await Task.WhenAll(closes))
        {
            Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, status); // 1001
        }

        foreach (ClientWebSocket client in clients)
        {
            client.Dispose();
        }
    }

    [Fact]
    public async Task A_slowloris_client_is_dropped_at_the_handshake_timeout()
    {
        await using TestServer server = await TestServer.StartAsync("actorsocket.handshake-timeout = 300ms");
        using Socket socket = await RawClient.ConnectSocketAsync(server.Port);
        await socket.SendAsync("GET /echo HTTP/1.1\r\nHost: x\r\n"u8.ToArray());
        // Dropped without an answer (a reset or a plain end of stream).
        string rest;
        try
        {
            rest = await RawClient.ReadToEndAsync(socket);
        }
        catch (SocketException error) when (error.SocketErrorCode == SocketError.ConnectionReset)
        {
            rest = string.Empty;
        }

        Assert.Equal(string.Empty, rest);
        ConnectionTerminated ended = await server.NextTerminationAsync();
        Assert.Equal(TerminationCause.HandshakeTimeout, ended.Cause);
    }
}
