using System.Net.WebSockets;
using System.Text;
using ActorSocket.Actors.Connections;
using ActorSocket.Actors.Handlers;
using ActorSocket.Protocol;
using Akka.Actor;

namespace ActorSocket.Gateway.Tests;

public class InlineHandlerTests
{
    /// <summary>Counts messages per connection and reports the count, with the path its factory was given, through the connection's own mailbox.</summary>
    private sealed class CountingHandler(ConnectionInfo info) : InlineHandler
    {
        private int _count;

        public override void OnText(ReadOnlyMemory<byte> utf8, IInlineConnection connection)
        {
            if (utf8.Span.SequenceEqual("boom"u8))
            {
                throw new InvalidOperationException("the handler broke");
            }

            if (utf8.Span.SequenceEqual("bye"u8))
            {
                connection.Close(CloseCode.NormalClosure, "asked to");
                return;
            }

            _count++;
            // A round trip through the mailbox: the answer comes back to OnMessage, on the actor's thread.
            connection.Self.Tell(new Counted(_count));
        }

        public override void OnBinary(ReadOnlyMemory<byte> data, IInlineConnection connection) => connection.SendBinary(data.Span);

        public override bool OnMessage(object message, IInlineConnection connection)
        {
            if (message is not Counted counted)
            {
                return false;
            }

            connection.SendText(Encoding.UTF8.GetBytes(info.Request.Path + " " + counted.Count));
            return true;
        }

        private sealed record Counted(int Count);
    }

    private static async Task<(TestServer Server, ClientWebSocket Client)> StartAsync()
    {
        TestServer server = await TestServer.StartAsync(routes: [Route.ForInline("/count", info => new CountingHandler(info))]);
        var client = new ClientWebSocket();
        await client.ConnectAsync(server.Uri("/count"), CancellationToken.None);
        return (server, client);
    }

    private static Task SendAsync(WebSocket client, string text) =>
        client.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    [Fact]
    public async Task An_inline_handler_keeps_state_per_connection_and_receives_its_own_messages()
    {
        var (server, client) = await StartAsync();
        await using (server)
        using (client)
        {
            using var other = new ClientWebSocket();
            await other.ConnectAsync(server.Uri("/count"), CancellationToken.None);
            await SendAsync(client, "a");
            await SendAsync(client, "b");
            await SendAsync(other, "c");
            Assert.Equal("/count 1", Encoding.UTF8.GetString((await EchoTests.ReceiveMessageAsync(client)).Data));
            Assert.Equal("/count 2", Encoding.UTF8.GetString((await EchoTests.ReceiveMessageAsync(client)).Data));
            Assert.Equal("/count 1", Encoding.UTF8.GetString((await EchoTests.ReceiveMessageAsync(other)).Data));

            await client.SendAsync(new byte[] { 0, 255 }, WebSocketMessageType.Binary, true, CancellationToken.None);
            Assert.Equal(new byte[] { 0, 255 }, (await EchoTests.ReceiveMessageAsync(client)).Data);

            await SendAsync(client, "bye");
            var ending = await client.ReceiveAsync(new byte[16], CancellationToken.None);
            Assert.Equal(WebSocketCloseStatus.NormalClosure, ending.CloseStatus);
            Assert.Equal("asked to", client.CloseStatusDescription);
        }
    }

    [Fact]
    public async Task An_inline_handler_that_throws_closes_its_connection_with_1011_and_the_others_go_on()
    {
        var (server, client) = await StartAsync();
        await using (server)
        using (client)
        {
            using var other = new ClientWebSocket();
            await other.ConnectAsync(server.Uri("/count"), CancellationToken.None);
            await SendAsync(client, "boom");
            var ending = await client.ReceiveAsync(new byte[16], CancellationToken.None);
            Assert.Equal(WebSocketCloseStatus.InternalServerError, ending.CloseStatus);
            await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
            ConnectionTerminated termination = await server.Terminations.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(TerminationCause.HandlerFailed, termination.Cause);
            Assert.Contains(server.LogEvents, e => e.Exception is InvalidOperationException && e.RenderMessage().Contains("closing with 1011", StringComparison.Ordinal));

            await SendAsync(other, "still here");
            Assert.Equal("/count 1", Encoding.UTF8.GetString((await EchoTests.ReceiveMessageAsync(other)).Data));
        }
    }
}
