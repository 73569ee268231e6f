using System.Net.Sockets;
using System.Net.WebSockets;
using ActorSocket.Actors.Connections;
using ActorSocket.Actors.Transport;
using ActorSocket.Protocol;

namespace ActorSocket.Gateway.Tests;

/// <summary>
/// Both ways plain connections read (<c>socket-reads</c>): on epoll readiness by the connection's
/// own actor (the default on Linux), and with .NET's asynchronous receive.
/// </summary>
public class SocketReadPathTests
{
    public static TheoryData<string> ReadPaths => new() { "readiness", "async" };

    private static Task<TestServer> StartAsync(string reads, string more = "") =>
        TestServer.StartAsync("actorsocket { socket-reads = " + reads + "\n" + more + " }");

    [Fact]
    public void Readiness_reads_are_available_on_linux()
    {
        // Otherwise the "readiness" cases below would silently test the asynchronous path twice.
        Assert.True(!OperatingSystem.IsLinux() || SocketTransport.ReadinessUnavailable is null, SocketTransport.ReadinessUnavailable);
    }

    [Fact]
    public void Readiness_is_the_default_and_an_unknown_read_path_is_refused()
    {
        Akka.Configuration.Config defaults = Configuration.GatewayConfig.Load(Configuration.CommandLineOptions.Parse([]));
        Assert.True(Configuration.GatewayOptions.From(defaults).ReadinessReads);
        Akka.Configuration.Config wrong = Akka.Configuration.ConfigurationFactory.ParseString("actorsocket.socket-reads = poll").WithFallback(defaults);
        var error = Assert.Throws<Akka.Configuration.ConfigurationException>(() => Configuration.GatewayOptions.From(wrong));
        Assert.Contains("socket-reads", error.Message);
    }

    [Theory]
    [MemberData(nameof(ReadPaths))]
    public async Task Large_and_many_messages_come_back_whole_and_in_order(string reads)
    {
        await using TestServer server = await StartAsync(reads);
        using var client = new ClientWebSocket();
        await client.ConnectAsync(server.Uri("/echo"), CancellationToken.None);

        // Just under the 1 MiB message limit: far more than one read (16 KiB) and than one turn of reads (4 of them).
        byte[] large = Enumerable.Range(0, 1_000_000).Select(i => (byte)(i * 31)).ToArray();
        await client.SendAsync(large, WebSocketMessageType.Binary, true, CancellationToken.None);
        Assert.Equal(large, (await EchoTests.ReceiveMessageAsync(client)).Data);

        // Many small ones sent back to back: several per read.
        for (int i = 0; i < 500; i++)
        {
            await client.SendAsync(System.Text.Encoding.UTF8.GetBytes("m" + i), WebSocketMessageType.Text, true, CancellationToken.None);
        }

        for (int i = 0; i < 500; i++)
        {
            Assert.Equal("m" + i, System.Text.Encoding.UTF8.GetString((await EchoTests.ReceiveMessageAsync(client)).Data));
        }

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        ConnectionTerminated ended = await server.NextTerminationAsync();
        Assert.Equal(TerminationCause.Closed, ended.Cause);
        Assert.Equal(501, ended.MessagesIn);
    }

    [Theory]
    [MemberData(nameof(ReadPaths))]
    public async Task Keepalive_pings_are_answered_and_a_silent_client_is_closed_with_1011(string reads)
    {
        // A 1 s pong timeout: a test thread that a loaded machine holds back still answers in time.
        await using TestServer server = await StartAsync(reads, "ping-interval = 100ms, ping-timeout = 1s");
        await using (RawClient silent = await RawClient.ConnectAsync(server.Port))
        {
            Assert.Equal(WebSocketEventKind.Ping, (await silent.ReadEventAsync(answerPings: false)).Kind);
            Assert.Equal(CloseCode.InternalError, await silent.ReadCloseAsync(answerPings: false));
            ConnectionTerminated ended = await server.NextTerminationAsync();
            Assert.Equal(TerminationCause.KeepaliveTimeout, ended.Cause);
        }

        await using RawClient answering = await RawClient.ConnectAsync(server.Port);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(WebSocketEventKind.Ping, (await answering.ReadEventAsync(answerPings: true)).Kind);
        }

        // Three pings answered, and the connection is still served.
        answering.Codec.SendText("still here"u8);
        await answering.FlushAsync();
        Assert.Equal("still here"u8.ToArray(), await answering.ReadMessageAnsweringPingsAsync());
    }

    [Theory]
    [MemberData(nameof(ReadPaths))]
    public async Task A_client_that_resets_is_one_1006_termination_and_the_server_serves_on(string reads)
    {
        await using TestServer server = await StartAsync(reads);
        RawClient raw = await RawClient.ConnectAsync(server.Port);
        raw.Codec.SendText("one"u8);
        await raw.FlushAsync();
        Assert.Equal(WebSocketEventKind.Text, (await raw.ReadEventAsync()).Kind);
        raw.Socket.LingerState = new LingerOption(true, 0); // close with RST, no close frame
        await raw.DisposeAsync();

        ConnectionTerminated ended = await server.NextTerminationAsync();
        Assert.Equal(CloseCode.AbnormalClosure, ended.CloseCode);
        Assert.Contains(ended.Cause, new[] { TerminationCause.Eof, TerminationCause.Reset });

        await using RawClient next = await RawClient.ConnectAsync(server.Port);
        next.Codec.SendText("two"u8);
        await next.FlushAsync();
        Assert.Equal("two"u8.ToArray(), (await next.ReadEventAsync()).Payload);
    }
}
