using System.Net.WebSockets;
using System.Text.Json;
using ActorSocket.Actors.Connections;
using ActorSocket.Actors.Topics;
using ActorSocket.Gateway.Configuration;
using ActorSocket.Protocol;
using Akka.Configuration;
using static ActorSocket.Gateway.Tests.PubSubTests;

namespace ActorSocket.Gateway.Tests;

/// <summary>Version 2 channels over <c>/pubsub</c> with real clients: namespaces, offsets, recovery after a dropped connection, history, bad input.</summary>
public class ChannelTests
{
    private static async Task<ClientWebSocket> ConnectAsync(TestServer server)
    {
        var client = new ClientWebSocket();
        await client.ConnectAsync(server.Uri("/pubsub"), CancellationToken.None);
        return client;
    }

    private static async Task<JsonElement> RequestAsync(WebSocket client, string json)
    {
        await SendAsync(client, json);
        return await ReceiveAsync(client);
    }

    private static GatewayOptions Options(params string[] sets) =>
        GatewayOptions.From(GatewayConfig.Load(CommandLineOptions.Parse([.. sets.SelectMany(set => new[] { "--set", set })])));

    [Fact]
    public void The_embedded_defaults_keep_version_1_and_give_the_chat_rooms_history()
    {
        NamespaceTable namespaces = Options().Topics.Namespaces;
        Assert.False(namespaces.For("lobby").HasHistory);
        Assert.False(namespaces.For("news:today").HasHistory); // not configured: the default namespace
        NamespaceSettings room = namespaces.For("room:lobby");
        Assert.Equal((100, TimeSpan.FromMinutes(10), true, true), (room.HistorySize, room.HistoryTtl, room.Presence, room.JoinLeave));
        Assert.Equal(Permission.Anyone, room.AllowPublish);

        // A namespace set in part takes the rest from the default namespace, and a configured one keeps its other keys.
        GatewayOptions options = Options(
            "actorsocket.pubsub.namespaces.news.history.size = 5",
            "actorsocket.pubsub.default-namespace.history.ttl = 2m",
            "actorsocket.pubsub.namespaces.room.history.ttl = 30s",
            "actorsocket.pubsub.namespaces.room.allow-publish = nobody");
        NamespaceSettings news = options.Topics.Namespaces.For("news:today");
        Assert.Equal((5, TimeSpan.FromMinutes(2), "news"), (news.HistorySize, news.HistoryTtl, news.Name));
        room = options.Topics.Namespaces.For("room:x");
        Assert.Equal((100, TimeSpan.FromSeconds(30), Permission.Nobody), (room.HistorySize, room.HistoryTtl, room.AllowPublish));
        Assert.Same(options.Topics.Namespaces, options.PubSub.Namespaces);
    }

    [Theory]
    [InlineData("actorsocket.pubsub.namespaces.room.allow-subscribe = sometimes", "allow-subscribe")]
    [InlineData("actorsocket.pubsub.namespaces.room.history.size = -1", "history.size")]
    [InlineData("actorsocket.pubsub.default-namespace.history.ttl = 0s", "history.ttl")]
    [InlineData("actorsocket.history-store.provider = mysql", "history-store.provider")]
    [InlineData("actorsocket.history-store.retry = 0s", "history-store.retry")]
    [InlineData("actorsocket.pubsub.namespaces.room.allow-publish = maybe", "allow-publish")]
    [InlineData("actorsocket.pubsub.namespaces.room.slow-consumer = fast", "slow-consumer")]
    [InlineData("actorsocket.pubsub.history-max-bytes = 0", "history-max-bytes")]
    public void A_namespace_setting_out_of_its_range_is_refused_at_start_with_its_key(string set, string key)
    {
        var error = Assert.Throws<ConfigurationException>(() => Options(set));
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_whose_connection_dropped_recovers_exactly_what_it_missed_then_the_live_stream()
    {
        await using TestServer server = await TestServer.StartAsync();
        using ClientWebSocket publisher = await ConnectAsync(server);
        var first = await ConnectAsync(server);
        JsonElement ack = await RequestAsync(first, """{"op":"subscribe","topic":"room:lobby","id":1}""");
        Assert.Equal(1, ack.GetProperty("id").GetInt32());
        Assert.Equal(0, ack.GetProperty("offset").GetInt64());
        Assert.False(ack.TryGetProperty("recovered", out _));
        string epoch = ack.GetProperty("epoch").GetString()!;
        for (int i = 1; i <= 6; i++)
        {
            if (i == 4)
            {
                first.Abort(); // the phone changed networks: no close frame
            }

            Assert.Equal("ack", (await RequestAsync(publisher, $$"""{"op":"publish","topic":"room:lobby","data":{"n":{{i}}},"id":{{i}}}""")).GetProperty("op").GetString());
            if (i < 4)
            {
                JsonElement message = await ReceiveAsync(first);
                Assert.Equal(i, message.GetProperty("offset").GetInt64());
                Assert.Equal(i, message.GetProperty("data").GetProperty("n").GetInt32());
            }
        }

        using ClientWebSocket back = await ConnectAsync(server);
        JsonElement recovered = await RequestAsync(back, $$$"""{"op":"subscribe","topic":"room:lobby","id":"r","since":{"epoch":"{{{epoch}}}","offset":3}}""");
        Assert.Equal(("r", epoch, 6L, true), (recovered.GetProperty("id").GetString(), recovered.GetProperty("epoch").GetString(), recovered.GetProperty("offset").GetInt64(), recovered.GetProperty("recovered").GetBoolean()));
        await SendAsync(publisher, """{"op":"publish","topic":"room:lobby","data":{"n":7}}""");
        for (int i = 4; i <= 7; i++)
        {
            JsonElement message = await ReceiveAsync(back);
            Assert.Equal(("message", "room:lobby", (long)i, i), (message.GetProperty("op").GetString(), message.GetProperty("topic").GetString(), message.GetProperty("offset").GetInt64(), message.GetProperty("data").GetProperty("n").GetInt32()));
        }

        // A page opened now reads the room's recent history.
        using ClientWebSocket fresh = await ConnectAsync(server);
        JsonElement history = await RequestAsync(fresh, """{"op":"history","topic":"room:lobby","id":9,"limit":3}""");
        Assert.Equal(("history", 9, epoch, 7L), (history.GetProperty("op").GetString(), history.GetProperty("id").GetInt32(), history.GetProperty("epoch").GetString(), history.GetProperty("offset").GetInt64()));
        Assert.Equal([5, 6, 7], history.GetProperty("messages").EnumerateArray().Select(message => message.GetProperty("data").GetProperty("n").GetInt32()));
        Assert.Equal(1, server.Server.Metrics.Recoveries.WithLabels("recovered").Value);
    }

    [Fact]
    public async Task Bad_positions_get_bad_request_or_recovered_false_and_the_connection_stays()
    {
        await using TestServer server = await TestServer.StartAsync();
        using ClientWebSocket client = await ConnectAsync(server);
        string[] malformed =
        [
            """{"op":"subscribe","topic":"room:a","id":1,"since":"x:1"}""",
            """{"op":"subscribe","topic":"room:a","id":1,"since":{"epoch":5,"offset":1}}""",
            """{"op":"subscribe","topic":"room:a","id":1,"since":{"epoch":"e","offset":-3}}""",
            """{"op":"subscribe","topic":"room:a","id":1,"since":{"epoch":"e","offset":9007199254740993}}""",
            """{"op":"history","topic":"room:a","id":1,"limit":"all"}""",
            """{"op":"subscribe","topic":"lobby","id":1,"since":{"epoch":"e","offset":1}}""", // no history there
            """{"op":"history","topic":"lobby","id":1}""",
        ];
        foreach (string request in malformed)
        {
            JsonElement error = await RequestAsync(client, request);
            Assert.Equal(("error", "bad_request", 1), (error.GetProperty("op").GetString(), error.GetProperty("code").GetString(), error.GetProperty("id").GetInt32()));
        }

        // A well-formed position that does not match, whatever its epoch looks like: not recovered, and subscribed.
        foreach (string epoch in new[] { "", "no such epoch", "{\\\"x\\\":1}" })
        {
            JsonElement ack = await RequestAsync(client, $$$"""{"op":"subscribe","topic":"room:a","id":2,"since":{"epoch":"{{{epoch}}}","offset":0}}""");
            Assert.Equal(("ack", false), (ack.GetProperty("op").GetString(), ack.GetProperty("recovered").GetBoolean()));
        }

        JsonElement beyond = await RequestAsync(client, """{"op":"history","topic":"room:a","id":3,"since":{"epoch":"x","offset":9007199254740992}}""");
        Assert.False(beyond.GetProperty("recovered").GetBoolean());
        Assert.Empty(beyond.GetProperty("messages").EnumerateArray());

        await SendAsync(client, """{"op":"publish","topic":"room:a","data":"still here"}""");
        JsonElement live = await ReceiveAsync(client);
        Assert.Equal(("still here", 1L), (live.GetProperty("data").GetString(), live.GetProperty("offset").GetInt64()));
        Assert.Equal(WebSocketState.Open, client.State);
    }

    [Fact]
    public async Task Version_1_topics_keep_version_1_frames_and_permissions_refuse_with_their_codes()
    {
        await using TestServer server = await TestServer.StartAsync("""
            actorsocket.pubsub.namespaces {
              announce { allow-publish = nobody }
              members { allow-subscribe = authenticated, history.size = 10, allow-history = granted }
            }
            """);
        using ClientWebSocket client = await ConnectAsync(server);
        Assert.False((await RequestAsync(client, """{"op":"subscribe","topic":"lobby","id":1}""")).TryGetProperty("epoch", out _));
        await SendAsync(client, """{"op":"publish","topic":"lobby","data":1}""");
        Assert.False((await ReceiveAsync(client)).TryGetProperty("offset", out _));

        JsonElement forbidden = await RequestAsync(client, """{"op":"publish","topic":"announce:x","data":1,"id":2}""");
        Assert.Equal(("forbidden", 2), (forbidden.GetProperty("code").GetString(), forbidden.GetProperty("id").GetInt32()));
        Assert.Equal("ack", (await RequestAsync(client, """{"op":"subscribe","topic":"announce:x","id":3}""")).GetProperty("op").GetString());
        // Rules that need an identity: this connection has none.
        Assert.Equal("unauthorized", (await RequestAsync(client, """{"op":"subscribe","topic":"members:x","id":4}""")).GetProperty("code").GetString());
        Assert.Equal("unauthorized", (await RequestAsync(client, """{"op":"history","topic":"members:x","id":5}""")).GetProperty("code").GetString());
        Assert.Equal(6L, (await RequestAsync(client, """{"op":"publish","topic":"members:x","data":1,"id":6}""")).GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task A_history_answer_is_cut_to_its_byte_limit_newest_first_or_oldest_after_a_position()
    {
        await using TestServer server = await TestServer.StartAsync("actorsocket.pubsub.max-history-reply-bytes = 2000");
        using ClientWebSocket client = await ConnectAsync(server);
        string text = new('x', 500);
        for (int i = 1; i <= 10; i++)
        {
            await RequestAsync(client, $$"""{"op":"publish","topic":"room:big","data":"{{text}}","id":{{i}}}""");
        }

        JsonElement newest = await RequestAsync(client, """{"op":"history","topic":"room:big","id":1}""");
        Assert.Equal([8L, 9, 10], newest.GetProperty("messages").EnumerateArray().Select(message => message.GetProperty("offset").GetInt64()));
        string epoch = newest.GetProperty("epoch").GetString()!;
        JsonElement page = await RequestAsync(client, $$$"""{"op":"history","topic":"room:big","id":2,"since":{"epoch":"{{{epoch}}}","offset":2}}""");
        Assert.True(page.GetProperty("recovered").GetBoolean());
        Assert.Equal([3L, 4, 5], page.GetProperty("messages").EnumerateArray().Select(message => message.GetProperty("offset").GetInt64()));
    }

    [Fact]
    public async Task A_client_that_floods_history_requests_without_reading_is_closed_as_a_slow_consumer_and_others_are_served()
    {
        await using TestServer server = await TestServer.StartAsync();
        using ClientWebSocket publisher = await ConnectAsync(server);
        string text = new('y', 8000);
        for (int i = 1; i <= 100; i++)
        {
            await SendAsync(publisher, $$"""{"op":"publish","topic":"room:hist","data":"{{text}}"}""");
        }

        await RequestAsync(publisher, """{"op":"history","topic":"room:hist","id":0,"limit":0}"""); // every publish taken

        // 800 KB answers, never read: the outbound cap (4 MiB) ends it long before 1,000 requests.
        ConnectionTerminated termination = await TestPorts.FloodWithoutReadingAsync(server, """{"op":"history","topic":"room:hist"}""", 1000);
        Assert.Equal(TerminationCause.SlowConsumer, termination.Cause);
        Assert.Equal(CloseCode.PolicyViolation, termination.CloseCode);
        JsonElement answer = await RequestAsync(publisher, """{"op":"history","topic":"room:hist","id":1,"limit":1}""");
        Assert.Equal(100L, answer.GetProperty("offset").GetInt64());
    }
}
