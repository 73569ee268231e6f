using ActorSocket.Actors.Connections;
using ActorSocket.Protocol;

namespace ActorSocket.Gateway.Tests;

public class KeepaliveTests
{
    [Fact]
    public async Task A_client_that_never_answers_pings_is_closed_with_1011_and_reported()
    {
        await using TestServer server = await TestServer.StartAsync("actorsocket { ping-interval = 200ms, ping-timeout = 300ms }");
        await using RawClient raw = await RawClient.ConnectAsync(server.Port);

        var first = await raw.ReadEventAsync(answerPings: false);
        Assert.Equal(WebSocketEventKind.Ping, first.Kind);
        Assert.Equal(CloseCode.InternalError, await raw.ReadCloseAsync(answerPings: false));

        ConnectionTerminated ended = await server.NextTerminationAsync();
        Assert.Equal(TerminationCause.KeepaliveTimeout, ended.Cause);
        Assert.Equal(CloseCode.InternalError, ended.CloseCode);
        Assert.True(await raw.ServerClosedTcpAsync());
    }

    [Fact]
    public async Task A_client_that_answers_pings_stays_open()
    {
        await using TestServer server = await TestServer.StartAsync("actorsocket { ping-interval = 100ms, ping-timeout = 2s }");
        // A new ping goes out only after the last one was answered: five pings prove five pongs were taken.
        await using RawClient raw = await RawClient.ConnectAsync(server.Port);
        // Five pings answered, and the connection still echoes.
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(WebSocketEventKind.Ping, (await raw.ReadEventAsync(answerPings: true)).Kind);
        }

        raw.Codec.SendText("alive"u8);
        await raw.FlushAsync();
        Assert.Equal("alive"u8.ToArray(), await raw.ReadMessageAnsweringPingsAsync());

        Assert.False(server.Terminations.TryRead(out _));
    }

    [Fact]
    public async Task A_ping_from_the_client_is_answered_with_a_pong_of_the_same_payload()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using RawClient raw = await RawClient.ConnectAsync(server.Port);
        raw.Codec.SendPing("are you there"u8);
        await raw.FlushAsync();
        var pong = await raw.ReadEventAsync();
        Assert.Equal(WebSocketEventKind.Pong, pong.Kind);
        Assert.Equal("are you there"u8.ToArray(), pong.Payload);
    }
}
