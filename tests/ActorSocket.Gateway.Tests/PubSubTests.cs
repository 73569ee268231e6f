using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using ActorSocket.Actors.Connections;
using ActorSocket.Protocol;

namespace ActorSocket.Gateway.Tests;

public class PubSubTests
{
    private static async Task<ClientWebSocket> ConnectAsync(TestServer server)
    {
        var client = new ClientWebSocket();
        await client.ConnectAsync(server.Uri("/pubsub"), CancellationToken.None);
        return client;
    }

    internal static Task SendAsync(WebSocket client, string json) =>
        client.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, CancellationToken.None);

    internal static async Task<JsonElement> ReceiveAsync(WebSocket client)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var (type, data) = await EchoTests.ReceiveMessageAsync(client, timeout.Token);
        Assert.Equal(WebSocketMessageType.Text, type);
        return JsonDocument.Parse(data).RootElement.Clone();
    }

    internal static async Task SubscribeAsync(WebSocket client, string topic)
    {
        await SendAsync(client, $$"""{"op":"subscribe","topic":"{{topic}}","id":"s"}""");
        JsonElement ack = await ReceiveAsync(client);
        Assert.Equal("ack", ack.GetProperty("op").GetString());
    }

    /// <summary>Polls a condition until it holds or the deadline passes (the AwaitAssert pattern).</summary>
    internal static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting until " + what);
            await Task.Yield();
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task Compressing_and_plain_subscribers_receive_the_same_message()
    {
        await using TestServer server = await TestServer.StartAsync();
        var clients = new List<ClientWebSocket>();
        try
        {
            for (int i = 0; i < 4; i++)
            {
                var client = new ClientWebSocket();
                if (i < 3)
                {
                    // Compressing subscribers share one compressed frame per publish; the last reads it plain.
                    client.Options.DangerousDeflateOptions = new WebSocketDeflateOptions { ServerMaxWindowBits = i == 2 ? 12 : 15 };
                }

                client.Options.CollectHttpResponseDetails = true;
                await client.ConnectAsync(server.Uri("/pubsub"), CancellationToken.None);
                Assert.Equal(i < 3, client.HttpResponseHeaders!.ContainsKey("Sec-WebSocket-Extensions"));
                clients.Add(client);
                await SubscribeAsync(client, "zip");
            }

            string text = string.Concat(Enumerable.Repeat("a message long enough to be compressed ", 8));
            for (int n = 0; n < 3; n++)
            {
                await SendAsync(clients[3], $$$"""{"op":"publish","topic":"zip","data":{"text":"{{{text}}}","n":{{{n}}}}}""");
                foreach (ClientWebSocket client in clients)
                {
                    JsonElement message = await ReceiveAsync(client);
                    Assert.Equal("message", message.GetProperty("op").GetString());
                    Assert.Equal(text, message.GetProperty("data").GetProperty("text").GetString());
                    Assert.Equal(n, message.GetProperty("data").GetProperty("n").GetInt32());
                }
            }
        }
        finally
        {
            clients.ForEach(client => client.Dispose());
        }
    }

    [Fact]
    public async Task Subscribe_publish_and_ack_follow_the_contract()
    {
        await using TestServer server = await TestServer.StartAsync();
        using ClientWebSocket subscriber = await ConnectAsync(server);
        using ClientWebSocket publisher = await ConnectAsync(server);
        await SendAsync(subscriber, """{"op":"subscribe","topic":"lobby","id":"1"}""");
        Assert.Equal("""{"op":"ack","id":"1"}""", (await ReceiveAsync(subscriber)).GetRawText());

        await SendAsync(publisher, """{"op":"publish","topic":"lobby","data":{"text":"hi","n":2.50},"id":3}""");
        Assert.Equal("""{"op":"ack","id":3}""", (await ReceiveAsync(publisher)).GetRawText());
        JsonElement message = await ReceiveAsync(subscriber);
        Assert.Equal("message", message.GetProperty("op").GetString());
        Assert.Equal("lobby", message.GetProperty("topic").GetString());
        Assert.Equal("""{"text":"hi","n":2.50}""", message.GetProperty("data").GetRawText()); // never re-encoded

        // The publisher receives its own message once it is subscribed.
        await SubscribeAsync(publisher, "lobby");
        await SendAsync(publisher, """{"op":"publish","topic":"lobby","data":"echo"}""");
        Assert.Equal("\"echo\"", (await ReceiveAsync(publisher)).GetProperty("data").GetRawText());
        Assert.Equal("\"echo\"", (await ReceiveAsync(subscriber)).GetProperty("data").GetRawText());

        await SendAsync(subscriber, """{"op":"unsubscribe","topic":"lobby","id":"u"}""");
        Assert.Equal("""{"op":"ack","id":"u"}""", (await ReceiveAsync(subscriber)).GetRawText());
        await SendAsync(publisher, """{"op":"publish","topic":"lobby","data":"after","id":"p"}""");
        Assert.Equal("\"after\"", (await ReceiveAsync(publisher)).GetProperty("data").GetRawText());
        Assert.Equal("ack", (await ReceiveAsync(publisher)).GetProperty("op").GetString());
        // The unsubscribed client gets nothing more: its next reply is to its next request.
        await SendAsync(subscriber, """{"op":"subscribe","topic":"other","id":"next"}""");
        Assert.Equal("""{"op":"ack","id":"next"}""", (await ReceiveAsync(subscriber)).GetRawText());
    }

    [Theory]
    [InlineData("not json", "bad_request")]
    [InlineData("[1,2,3]", "bad_request")]
    [InlineData("""{"op":"dance","topic":"t","id":"x"}""", "bad_request")]
    [InlineData("""{"op":"subscribe","id":"x"}""", "bad_request")]
    [InlineData("""{"op":"subscribe","topic":"","id":"x"}""", "bad_request")]
    [InlineData("""{"op":"subscribe","topic":7,"id":"x"}""", "bad_request")]
    [InlineData("""{"op":"publish","topic":"t","id":"x"}""", "bad_request")]
    public async Task A_bad_request_gets_an_error_and_the_connection_stays_open(string request, string code)
    {
        await using TestServer server = await TestServer.StartAsync();
        using ClientWebSocket client = await ConnectAsync(server);
        await SendAsync(client, request);
        JsonElement error = await ReceiveAsync(client);
        Assert.Equal("error", error.GetProperty("op").GetString());
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        if (request.Contains("\"id\":\"x\"", StringComparison.Ordinal))
        {
            Assert.Equal("x", error.GetProperty("id").GetString());
        }

        await SubscribeAsync(client, "still-open");
    }

    [Fact]
    public async Task Limits_answer_too_large_and_forbidden()
    {
        await using TestServer server = await TestServer.StartAsync("actorsocket.pubsub { max-publish-bytes = 16, max-topics-per-connection = 2 }");
        using ClientWebSocket client = await ConnectAsync(server);
        await SendAsync(client, """{"op":"publish","topic":"t","data":"this is longer than sixteen","id":1}""");
        Assert.Equal("too_large", (await ReceiveAsync(client)).GetProperty("code").GetString());
        await SendAsync(client, "{\"op\":\"subscribe\",\"topic\":\"" + new string('x', 257) + "\",\"id\":2}");
        Assert.Equal("bad_request", (await ReceiveAsync(client)).GetProperty("code").GetString());
        await SubscribeAsync(client, "a");
        await SubscribeAsync(client, "b");
        await SubscribeAsync(client, "a"); // already subscribed: not a new topic
        await SendAsync(client, """{"op":"subscribe","topic":"c","id":3}""");
        Assert.Equal("forbidden", (await ReceiveAsync(client)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_binary_frame_is_closed_with_1003()
    {
        await using TestServer server = await TestServer.StartAsync();
        using ClientWebSocket client = await ConnectAsync(server);
        await client.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, true, CancellationToken.None);
        WebSocketReceiveResult result = await client.ReceiveAsync(new byte[64], CancellationToken.None);
        Assert.Equal(WebSocketMessageType.Close, result.MessageType);
        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, result.CloseStatus); // 1003
    }

    [Fact]
    public async Task A_hundred_subscribers_receive_a_thousand_messages_each_complete_and_in_order()
    {
        await using TestServer server = await TestServer.StartAsync();
        var subscribers = new List<ClientWebSocket>();
        for (int i = 0; i < 100; i++)
        {
            ClientWebSocket subscriber = await ConnectAsync(server);
            await SubscribeAsync(subscriber, "fanout");
            subscribers.Add(subscriber);
        }

        using ClientWebSocket publisher = await ConnectAsync(server);
        Task publishing = Task.Run(async () =>
        {
            for (int i = 0; i < 1000; i++)
            {
                await SendAsync(publisher, $$"""{"op":"publish","topic":"fanout","data":{{i}}}""");
            }
        });

        await Task.WhenAll(subscribers.Select(async subscriber =>
        {
            for (int i = 0; i < 1000; i++)
            {
                JsonElement message = await ReceiveAsync(subscriber);
                Assert.Equal(i, message.GetProperty("data").GetInt32());
            }
        }));
        await publishing;
        foreach (ClientWebSocket subscriber in subscribers)
        {
            subscriber.Dispose();
        }
    }

    [Fact]
    public async Task A_slow_consumer_is_closed_with_1008_and_the_others_receive_everything()
    {
        await using TestServer server = await TestServer.StartAsync("actorsocket { max-outbound-bytes = 1048576, close-timeout = 1s }");
        // The slow client: a tiny receive window, and it never reads.
        var slowSocket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await slowSocket.ConnectAsync("127.0.0.1", server.Port);
        await slowSocket.SendAsync(Encoding.ASCII.GetBytes(
            $"GET /pubsub HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"));
        using var slowCodec = new WebSocketCodec(Role.Client);
        slowCodec.SendText("""{"op":"subscribe","topic":"flood"}"""u8);
        await slowSocket.SendAsync(slowCodec.PeekOutgoing().ToArray());

        var fast = new List<ClientWebSocket>();
        for (int i = 0; i < 3; i++)
        {
            ClientWebSocket client = await ConnectAsync(server);
            await SubscribeAsync(client, "flood");
            fast.Add(client);
        }

        // The slow client's subscription is in place once the topic holds four subscribers.
        await EventuallyAsync(() => server.Server.Metrics.Subscriptions.Value == 4, "four subscriptions");

        using ClientWebSocket publisher = await ConnectAsync(server);
        string payload = new string('x', 4000);
        const int count = 3000; // 12 MB: far past the kernel's buffers and the 1 MiB limit
        // Each healthy client is at most 64 messages (256 KiB) behind: well inside the limit.
        SemaphoreSlim[] windows = fast.Select(_ => new SemaphoreSlim(64)).ToArray();
        Task publishing = Task.Run(async () =>
        {
            for (int i = 0; i < count; i++)
            {
                foreach (SemaphoreSlim window in windows)
                {
                    await window.WaitAsync(TimeSpan.FromSeconds(20));
                }

                await SendAsync(publisher, $$"""{"op":"publish","topic":"flood","data":["{{payload}}",{{i}}]}""");
            }
        });

        await Task.WhenAll(fast.Select(async (client, index) =>
        {
            for (int i = 0; i < count; i++)
            {
                JsonElement message = await ReceiveAsync(client);
                Assert.Equal(i, message.GetProperty("data")[1].GetInt32());
                windows[index].Release();
            }
        }));
        await publishing;

        ConnectionTerminated ended = await server.NextTerminationAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(TerminationCause.SlowConsumer, ended.Cause);
        Assert.Equal(CloseCode.PolicyViolation, ended.CloseCode);
        Assert.Equal(1, server.Server.Metrics.SlowConsumerCloses.Value);
        slowSocket.Dispose();
        foreach (ClientWebSocket client in fast)
        {
            client.Dispose();
        }
    }

    [Fact]
    public async Task A_thousand_subscribers_that_vanish_leave_no_subscription()
    {
        await using TestServer server = await TestServer.StartAsync();
        var sockets = new List<RawClient>();
        for (int i = 0; i < 1000; i++)
        {
            RawClient client = await RawClient.ConnectAsync(server.Port, "/pubsub");
            client.Codec.SendText(Encoding.UTF8.GetBytes($$"""{"op":"subscribe","topic":"room{{i % 10}}","id":{{i}}}"""));
            await client.FlushAsync();
            sockets.Add(client);
        }

        foreach (RawClient client in sockets)
        {
            Assert.Equal(WebSocketEventKind.Text, (await client.ReadEventAsync()).Kind); // the ack
        }

        Assert.Equal(1000, server.Server.Metrics.Subscriptions.Value);
        foreach (RawClient client in sockets)
        {
            await client.DisposeAsync(); // gone without a close frame
        }

        for (int i = 0; i < 1000; i++)
        {
            Assert.Equal(CloseCode.AbnormalClosure, (await server.NextTerminationAsync()).CloseCode);
        }

        await EventuallyAsync(() => server.Server.Metrics.Subscriptions.Value == 0, "no subscription is left");
    }
}
