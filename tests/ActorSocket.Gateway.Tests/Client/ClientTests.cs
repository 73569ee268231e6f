using System.Text.Json;
using System.Threading.Channels;
using ActorSocket.Client;
using ActorSocket.Gateway.Tests.Identity;

namespace ActorSocket.Gateway.Tests.Client;

/// <summary>The .NET client against the real server: requests, reconnects after restarts and drops, recovery with no loss.</summary>
public class ClientTests
{
    private static readonly string Config = $$"""
        actorsocket.auth.jwt.hs256-secrets = ["{{Tokens.Secret}}"]
        actorsocket.pubsub.namespaces {
          feed { history.size = 10000 }
          closed { allow-subscribe = nobody }
          live { presence = on }
        }
        """;

    private static ActorSocketClientOptions Options(params int[] ports)
    {
        // Quick reconnects: the tests wait for events, never for time.
        var options = new ActorSocketClientOptions { ReconnectFloor = TimeSpan.FromMilliseconds(20), ReconnectCap = TimeSpan.FromMilliseconds(200) };
        foreach (int port in ports)
        {
            options.Urls.Add(new Uri("ws://127.0.0.1:" + port + "/pubsub"));
        }

        return options;
    }

    private static async Task<List<ClientMessage>> TakeAsync(IAsyncEnumerator<ClientMessage> messages, int count)
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var taken = new List<ClientMessage>();
        while (taken.Count < count)
        {
            Assert.True(await messages.MoveNextAsync().AsTask().WaitAsync(patience.Token), "the subscription ended");
            taken.Add(messages.Current);
        }

        return taken;
    }

    [Fact]
    public async Task Subscribe_publish_history_and_presence_work_and_a_refusal_is_an_exception_with_its_code()
    {
        await using TestServer server = await TestServer.StartAsync(Config);
        ActorSocketClientOptions options = Options(server.Port);
        options.Token = Tokens.Make("ann");
        await using var client = new ActorSocketClient(options);
        await client.ConnectAsync();
        Assert.Equal(("ann", ClientState.Connected), (client.User, client.State));

        Subscription feed = await client.SubscribeAsync("feed:news");
        await using IAsyncEnumerator<ClientMessage> messages = feed.GetAsyncEnumerator();
        await client.PublishAsync("feed:news", "one");
        await client.PublishAsync("feed:news", JsonDocument.Parse("""{"n":2}""").RootElement);
        List<ClientMessage> got = await TakeAsync(messages, 2);
        Assert.Equal([(1L, "one"), (2L, "2")], got.Select(m => (m.Offset!.Value, m.Data.ValueKind == JsonValueKind.String ? m.Data.GetString()! : m.Data.GetProperty("n").GetRawText())));
        Assert.Equal(2L, feed.Position!.Value.Offset);

        JsonElement history = await client.HistoryAsync("feed:news", limit: 1);
        Assert.Equal(2L, Assert.Single(history.GetProperty("messages").EnumerateArray()).GetProperty("offset").GetInt64());

        await client.SubscribeAsync("live:room");
        Assert.Equal("ann", Assert.Single((await client.PresenceAsync("live:room")).GetProperty("clients").EnumerateArray()).GetProperty("user").GetString());
        Assert.Equal(1, (await client.PresenceStatsAsync("live:room")).GetProperty("users").GetInt32());

        ActorSocketException refused = await Assert.ThrowsAsync<ActorSocketException>(() => client.SubscribeAsync("closed:x"));
        Assert.Equal("forbidden", refused.Code);
    }

    [Fact]
    public async Task After_the_server_restarts_the_client_reconnects_resubscribes_and_says_the_in_memory_history_is_gone()
    {
        int port = TestPorts.Free();

        TestServer server = await TestServer.StartAsync(Config, port: port);
        try
        {
            await using var client = new ActorSocketClient(Options(port));
            var resubscribed = new TaskCompletionSource<bool?>(TaskCreationOptions.RunContinuationsAsynchronously);
            await client.ConnectAsync();
            Subscription feed = await client.SubscribeAsync("feed:restart");
            feed.Resubscribed += (_, recovered) => resubscribed.TrySetResult(recovered);
            await using IAsyncEnumerator<ClientMessage> messages = feed.GetAsyncEnumerator();
            await client.PublishAsync("feed:restart", "before");
            Assert.Equal("before", (await TakeAsync(messages, 1))[0].Data.GetString());

            await server.DisposeAsync();
            server = await TestServer.StartAsync(Config, port: port);

            // A new stream (memory history does not survive): recovered false, and the live stream goes on.
            Assert.False(await resubscribed.Task.WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(1, feed.Gaps);
            await client.PublishAsync("feed:restart", "after");
            ClientMessage after = (await TakeAsync(messages, 1))[0];
            Assert.Equal(("after", 1L), (after.Data.GetString(), after.Offset!.Value));
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Thousands_of_messages_arrive_once_and_in_order_across_dropped_connections()
    {
        await using TestServer server = await TestServer.StartAsync(Config);
        await using var proxy = new DroppingProxy(server.Port);
        await using var subscriber = new ActorSocketClient(Options(proxy.Port));
        var resubscribes = Channel.CreateUnbounded<bool?>();
        await subscriber.ConnectAsync();
        Subscription feed = await subscriber.SubscribeAsync("feed:many");
        feed.Resubscribed += (_, recovered) => resubscribes.Writer.TryWrite(recovered);
        await using IAsyncEnumerator<ClientMessage> messages = feed.GetAsyncEnumerator();

        await using var publisher = new ActorSocketClient(Options(server.Port));
        await publisher.ConnectAsync();
        const int Total = 3000;
        var received = new List<long>();
        for (int i = 1; i <= Total; i++)
        {
            await publisher.PublishAsync("feed:many", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (i % 1000 == 500)
            {
                // The subscriber's network drops (no close frame) while messages keep coming.
                received.AddRange((await TakeAsync(messages, 100)).Select(m => m.Offset!.Value));
                proxy.CutAndHold();
                proxy.Release();
            }
        }

        received.AddRange((await TakeAsync(messages, Total - received.Count)).Select(m => m.Offset!.Value));
        Assert.Equal(Enumerable.Range(1, Total).Select(i => (long)i), received);
        Assert.True(resubscribes.Reader.TryRead(out bool? recovered));
        Assert.True(recovered);
        Assert.Equal(0, feed.Gaps);
    }

    [Fact]
    public async Task A_token_the_server_refuses_stops_the_client_with_the_reason_unless_a_provider_gives_a_good_one()
    {
        await using TestServer server = await TestServer.StartAsync(Config);
        ActorSocketClientOptions options = Options(server.Port);
        options.Token = "not-a-token";
        await using (var refused = new ActorSocketClient(options))
        {
            ActorSocketException error = await Assert.ThrowsAsync<ActorSocketException>(() => refused.ConnectAsync());
            Assert.Equal(("unauthorized", ClientState.Closed), (error.Code, refused.State));
        }

        // With a provider: the first token is refused (401), the next one is fresh.
        int asked = 0;
        ActorSocketClientOptions refreshing = Options(server.Port);
        refreshing.TokenProvider = _ => ValueTask.FromResult<string?>(Interlocked.Increment(ref asked) == 1 ? "stale" : Tokens.Make("bob"));
        await using var client = new ActorSocketClient(refreshing);
        await client.ConnectAsync();
        Assert.Equal(("bob", 2), (client.User, asked));
    }

    [Fact]
    public async Task A_user_disconnected_by_the_backend_is_not_reconnected()
    {
        await using TestServer server = await TestServer.StartAsync(Config + "\nactorsocket.api.keys = [\"client-test-key\"]");
        ActorSocketClientOptions options = Options(server.Port);
        options.Token = Tokens.Make("carol");
        var closed = new TaskCompletionSource<ClientStateChange>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var client = new ActorSocketClient(options);
        client.StateChanged += change =>
        {
            if (change.State == ClientState.Closed)
            {
                closed.TrySetResult(change);
            }
        };
        await client.ConnectAsync();
        Subscription feed = await client.SubscribeAsync("feed:carol");

        await new ApiClient(server.Port, "client-test-key").ResultAsync("disconnect", """{"user":"carol","reason":"banned"}""");
        ClientStateChange change = await closed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal((3002, "banned"), (change.CloseCode, change.Reason));
        Assert.True(feed.Completed);
        Assert.Equal("closed", (await Assert.ThrowsAsync<ActorSocketException>(() => client.PublishAsync("feed:carol", "x"))).Code);
    }
}
