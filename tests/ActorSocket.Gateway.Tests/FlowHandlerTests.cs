using System.Net.WebSockets;
using System.Text;
using ActorSocket.Actors.Handlers;
using Akka.Streams.Dsl;

namespace ActorSocket.Gateway.Tests;

/// <summary>Akka.Streams flows as handlers, with backpressure from the socket.</summary>
public class FlowHandlerTests
{
    private static WsMessage FailOn(WsMessage message) => throw new InvalidOperationException("flow bug: " + message);

    [Fact]
    public async Task A_flow_transforms_messages_in_order()
    {
        Route upper = Route.ForFlow("/upper", _ => Flow.Create<WsMessage>()
            .Select(m => m is WsMessage.Text t ? new WsMessage.Text(t.Value.ToUpperInvariant()) : m));
        await using TestServer server = await TestServer.StartAsync(routes: [upper]);
        using var client = new ClientWebSocket();
        await client.ConnectAsync(server.Uri("/upper"), CancellationToken.None);
        for (int i = 0; i < 50; i++)
        {
            await client.SendAsync(Encoding.UTF8.GetBytes("msg " + i), WebSocketMessageType.Text, true, CancellationToken.None);
        }

        await client.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, true, CancellationToken.None);
        for (int i = 0; i < 50; i++)
        {
            var (_, data) = await EchoTests.ReceiveMessageAsync(client);
            Assert.Equal("MSG " + i, Encoding.UTF8.GetString(data));
        }

        var (type, binary) = await EchoTests.ReceiveMessageAsync(client);
        Assert.Equal(WebSocketMessageType.Binary, type);
        Assert.Equal(new byte[] { 1, 2, 3 }, binary);
    }

    [Fact]
    public async Task A_slow_flow_pauses_the_socket_instead_of_buffering_everything()
    {
        // The flow takes 10 ms per message; the client pushes 3 MB at once.
        Route slow = Route.ForFlow("/slow", _ => Flow.Create<WsMessage>().SelectAsync(1, async m =>
        {
            await Task.Delay(10);
            return m;
        }));
        await using TestServer server = await TestServer.StartAsync(routes: [slow]);
        using var client = new ClientWebSocket();
        await client.ConnectAsync(server.Uri("/slow"), CancellationToken.None);
        const int count = 150;
        byte[] payload = new byte[20_000];
        Task sending = Task.Run(async () =>
        {
            for (int i = 0; i < count; i++)
            {
                payload[0] = (byte)i;
                await client.SendAsync(payload.ToArray(), WebSocketMessageType.Binary, true, CancellationToken.None);
            }
        });

        var (_, first) = await EchoTests.ReceiveMessageAsync(client);
        Assert.Equal(0, first[0]);
        // By the first reply the server has read a window's worth, not the 3 MB the client sent.
        Assert.True(server.Server.Metrics.BytesIn.Value < 1_000_000, $"{server.Server.Metrics.BytesIn.Value} bytes read before the first reply");

        for (int i = 1; i < count; i++)
        {
            var (_, data) = await EchoTests.ReceiveMessageAsync(client);
            Assert.Equal((byte)i, data[0]);
        }

        await sending;
    }

    [Fact]
    public async Task A_flow_that_fails_closes_its_connection_with_1011()
    {
        Route failing = Route.ForFlow("/fail", _ => Flow.Create<WsMessage>().Select(FailOn));
        await using TestServer server = await TestServer.StartAsync(routes: [failing]);
        using var client = new ClientWebSocket();
        await client.ConnectAsync(server.Uri("/fail"), CancellationToken.None);
        await client.SendAsync("boom"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        WebSocketReceiveResult result = await client.ReceiveAsync(new byte[64], CancellationToken.None);
        Assert.Equal(WebSocketMessageType.Close, result.MessageType);
        Assert.Equal(WebSocketCloseStatus.InternalServerError, result.CloseStatus);

        // Nobody else is touched.
        using var other = new ClientWebSocket();
        await other.ConnectAsync(server.Uri("/echo"), CancellationToken.None);
        await other.SendAsync("fine"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        Assert.Equal("fine"u8.ToArray(), (await EchoTests.ReceiveMessageAsync(other)).Data);
    }
}
