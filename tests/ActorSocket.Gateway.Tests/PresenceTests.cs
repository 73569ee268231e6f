using System.Net.WebSockets;
using System.Text.Json;
using ActorSocket.Gateway.Tests.Identity;
using static ActorSocket.Gateway.Tests.PubSubTests;

namespace ActorSocket.Gateway.Tests;

/// <summary>
/// Presence on one node with real clients: who is present, join and leave frames (never one's own
/// join), first and last connection of a user, coalescing into presence-diff, the leave grace, caps
/// and permissions.
/// </summary>
public class PresenceTests
{
    private const string Config = $$"""
        actorsocket.auth.jwt.hs256-secrets = ["{{Tokens.Secret}}"]
        actorsocket.pubsub.namespaces {
          lobby { presence = on, join-leave = on, presence-leave-grace = 1s, presence-window = 150ms }
          quiet { presence = on }
          closed { presence = on, allow-presence = authenticated }
          capped { presence = on, presence-max-clients = 1 }
        }
        """;

    private static async Task<ClientWebSocket> ConnectAsync(TestServer server, string? token = null)
    {
        var client = new ClientWebSocket();
        await client.ConnectAsync(new Uri(server.Uri("/pubsub") + (token is null ? string.Empty : "?token=" + token)), CancellationToken.None);
        return client;
    }

    private static async Task<JsonElement> RequestAsync(WebSocket client, string json)
    {
        await SendAsync(client, json);
        return await ReceiveAsync(client);
    }

    private static async Task<string> ClientIdAsync(WebSocket client) =>
        (await RequestAsync(client, """{"op":"connect","id":0}""")).GetProperty("client").GetString()!;

    private static async Task SubscribeAsync(WebSocket client, string topic) =>
        Assert.Equal("ack", (await RequestAsync(client, $$"""{"op":"subscribe","topic":"{{topic}}","id":1}""")).GetProperty("op").GetString());

    private static string Op(JsonElement frame) => frame.GetProperty("op").GetString()!;

    [Fact]
    public async Task Subscribers_see_each_others_joins_and_leaves_but_not_their_own_and_presence_lists_them()
    {
        await using TestServer server = await TestServer.StartAsync(Config);
        using ClientWebSocket ann = await ConnectAsync(server, Tokens.Make("ann", info: new Dictionary<string, object> { ["name"] = "Ann" }));
        using ClientWebSocket bob = await ConnectAsync(server);
        using ClientWebSocket ann2 = await ConnectAsync(server, Tokens.Make("ann"));
        string annId = await ClientIdAsync(ann), bobId = await ClientIdAsync(bob), ann2Id = await ClientIdAsync(ann2);

        await SubscribeAsync(ann, "lobby:r1");
        await SubscribeAsync(bob, "lobby:r1");
        JsonElement join = await ReceiveAsync(ann);
        Assert.Equal(("join", "lobby:r1", bobId, ""), (Op(join), join.GetProperty("topic").GetString(), join.GetProperty("client").GetString(), join.GetProperty("user").GetString()));
        Assert.False(join.TryGetProperty("first", out _)); // anonymous connections are not users

        // The full list, with the token's info; the counts.
        JsonElement presence = await RequestAsync(bob, """{"op":"presence","topic":"lobby:r1","id":"p"}""");
        Assert.Equal(("presence", "p"), (Op(presence), presence.GetProperty("id").GetString()));
        var clients = presence.GetProperty("clients").EnumerateArray().ToDictionary(c => c.GetProperty("client").GetString()!);
        Assert.Equal([annId, bobId], clients.Keys.Order());
        Assert.Equal("Ann", clients[annId].GetProperty("info").GetProperty("name").GetString());
        Assert.False(clients[bobId].TryGetProperty("info", out _));
        JsonElement stats = await RequestAsync(bob, """{"op":"presence-stats","topic":"lobby:r1","id":2}""");
        Assert.Equal((2, 1), (stats.GetProperty("clients").GetInt32(), stats.GetProperty("users").GetInt32()));

        // A second connection of ann: not the user's first. Its leave: not the user's last.
        await SubscribeAsync(ann2, "lobby:r1");
        JsonElement second = await ReceiveAsync(bob);
        Assert.Equal(("join", ann2Id, "ann"), (Op(second), second.GetProperty("client").GetString(), second.GetProperty("user").GetString()));
        Assert.False(second.TryGetProperty("first", out _));
        Assert.Equal(ann2Id, (await ReceiveAsync(ann)).GetProperty("client").GetString());
        Assert.Equal("ack", Op(await RequestAsync(ann2, """{"op":"unsubscribe","topic":"lobby:r1","id":3}""")));
        JsonElement left = await ReceiveAsync(bob);
        Assert.Equal(("leave", ann2Id), (Op(left), left.GetProperty("client").GetString()));
        Assert.False(left.TryGetProperty("last", out _));
        Assert.Equal(("leave", ann2Id), (Op(left = await ReceiveAsync(ann)), left.GetProperty("client").GetString()));

        // ann's last connection leaves: the user's last.
        Assert.Equal("ack", Op(await RequestAsync(ann, """{"op":"unsubscribe","topic":"lobby:r1","id":4}""")));
        JsonElement last = await ReceiveAsync(bob);
        Assert.Equal(("leave", annId, true), (Op(last), last.GetProperty("client").GetString(), last.GetProperty("last").GetBoolean()));
        Assert.Equal(1, server.Server.Metrics.PresentClients.Value);
    }

    [Fact]
    public async Task Many_joins_at_once_reach_a_subscriber_in_a_few_frames_that_name_every_one()
    {
        await using TestServer server = await TestServer.StartAsync(Config);
        using ClientWebSocket watcher = await ConnectAsync(server);
        await SubscribeAsync(watcher, "lobby:crowd");
        var crowd = new List<ClientWebSocket>();
        try
        {
            for (int i = 0; i < 30; i++)
            {
                crowd.Add(await ConnectAsync(server, Tokens.Make("u" + i)));
            }

            await Task.WhenAll(crowd.Select(client => SendAsync(client, """{"op":"subscribe","topic":"lobby:crowd"}""")));
            var joined = new HashSet<string>();
            int frames = 0;
            while (joined.Count < 30)
            {
                JsonElement frame = await ReceiveAsync(watcher);
                frames++;
                if (Op(frame) == "join")
                {
                    Assert.True(frame.GetProperty("first").GetBoolean());
                    joined.Add(frame.GetProperty("user").GetString()!);
                }
                else
                {
                    Assert.Equal("presence-diff", Op(frame));
                    Assert.Empty(frame.GetProperty("leaves").EnumerateArray());
                    foreach (JsonElement join in frame.GetProperty("joins").EnumerateArray())
                    {
                        Assert.True(joined.Add(join.GetProperty("user").GetString()!), "a join came twice");
                    }
                }
            }

            Assert.True(frames < 30, frames + " frames for 30 joins: nothing was coalesced");
            Assert.True(server.Server.Metrics.PresenceCoalesced.Value > 0);
        }
        finally
        {
            crowd.ForEach(client => client.Dispose());
        }
    }

    [Fact]
    public async Task A_user_back_within_the_grace_neither_leaves_nor_joins_and_a_vanished_one_leaves_after_it()
    {
        await using TestServer server = await TestServer.StartAsync(Config);
        using ClientWebSocket watcher = await ConnectAsync(server);
        await SubscribeAsync(watcher, "lobby:grace");
        var ann = await ConnectAsync(server, Tokens.Make("ann"));
        await SubscribeAsync(ann, "lobby:grace");
        Assert.Equal("join", Op(await ReceiveAsync(watcher)));

        // Her network drops; the server sees the connection end; she is back before the grace ends.
        ann.Abort();
        ann.Dispose();
        await server.NextTerminationAsync();
        await EventuallyAsync(() => server.Server.Metrics.Subscriptions.Value == 1, "the topic saw her connection end");

        using ClientWebSocket back = await ConnectAsync(server, Tokens.Make("ann"));
        await SubscribeAsync(back, "lobby:grace");

        // The next change the watcher sees is carol's: nothing of ann's leaving and coming back.
        using ClientWebSocket carol = await ConnectAsync(server, Tokens.Make("carol"));
        await SubscribeAsync(carol, "lobby:grace");
        JsonElement next = await ReceiveAsync(watcher);
        Assert.Equal(("join", "carol"), (Op(next), next.GetProperty("user").GetString()));
        JsonElement stats = await RequestAsync(watcher, """{"op":"presence-stats","topic":"lobby:grace","id":1}""");
        Assert.Equal((3, 2), (stats.GetProperty("clients").GetInt32(), stats.GetProperty("users").GetInt32()));

        // Carol vanishes for good: she stays present for the grace (1 s), then leaves.
        carol.Abort();
        await server.NextTerminationAsync();
        JsonElement present = await RequestAsync(watcher, """{"op":"presence","topic":"lobby:grace","id":2}""");
        Assert.Equal(3, present.GetProperty("clients").GetArrayLength());
        JsonElement leave = await ReceiveAsync(watcher);
        Assert.Equal(("leave", "carol", true), (Op(leave), leave.GetProperty("user").GetString(), leave.GetProperty("last").GetBoolean()));
    }

    [Fact]
    public async Task Presence_follows_the_namespace_its_permissions_and_its_cap()
    {
        await using TestServer server = await TestServer.StartAsync(Config);
        using ClientWebSocket anonymous = await ConnectAsync(server);
        using ClientWebSocket ann = await ConnectAsync(server, Tokens.Make("ann"));
        Assert.Equal("bad_request", (await RequestAsync(anonymous, """{"op":"presence","topic":"plain:x","id":1}""")).GetProperty("code").GetString());
        Assert.Equal("unauthorized", (await RequestAsync(anonymous, """{"op":"presence","topic":"closed:x","id":1}""")).GetProperty("code").GetString());
        Assert.Equal("unauthorized", (await RequestAsync(anonymous, """{"op":"presence-stats","topic":"closed:x","id":1}""")).GetProperty("code").GetString());
        Assert.Equal("presence", Op(await RequestAsync(ann, """{"op":"presence","topic":"closed:x","id":1}""")));
        Assert.Equal("bad_request", (await RequestAsync(ann, """{"op":"presence","id":1}""")).GetProperty("code").GetString());

        // Nobody there: an empty list. Without join-leave: present, but no frames.
        JsonElement empty = await RequestAsync(ann, """{"op":"presence","topic":"quiet:x","id":1}""");
        Assert.Equal(0, empty.GetProperty("clients").GetArrayLength());
        await SubscribeAsync(ann, "quiet:x");
        await SubscribeAsync(anonymous, "quiet:x");
        Assert.Equal(2, (await RequestAsync(ann, """{"op":"presence-stats","topic":"quiet:x","id":1}""")).GetProperty("clients").GetInt32()); // the next frame: no join before it

        // Past presence-max-clients: the counts only, and a word on why.
        await SubscribeAsync(ann, "capped:x");
        await SubscribeAsync(anonymous, "capped:x");
        JsonElement capped = await RequestAsync(ann, """{"op":"presence","topic":"capped:x","id":1}""");
        Assert.False(capped.TryGetProperty("clients", out _));
        Assert.Equal((2, 1), (capped.GetProperty("count").GetInt32(), capped.GetProperty("users").GetInt32()));
        Assert.Contains("presence-max-clients", capped.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_that_floods_presence_requests_without_reading_is_closed_as_a_slow_consumer_and_others_are_served()
    {
        await using TestServer server = await TestServer.StartAsync(Config);
        var present = new List<ClientWebSocket>();
        try
        {
            // Ten present clients with 2 KB of info each: every list answer is over 20 KB.
            for (int i = 0; i < 10; i++)
            {
                ClientWebSocket client = await ConnectAsync(server, Tokens.Make("user" + i, info: new Dictionary<string, object> { ["bio"] = new string('b', 2000) }));
                present.Add(client);
                await SubscribeAsync(client, "quiet:big");
            }

            // Never read: the outbound cap (4 MiB) ends it long before 5,000 requests.
            ActorSocket.Actors.Connections.ConnectionTerminated termination = await TestPorts.FloodWithoutReadingAsync(server, """{"op":"presence","topic":"quiet:big"}""", 5000);
            Assert.Equal(ActorSocket.Actors.Connections.TerminationCause.SlowConsumer, termination.Cause);
            Assert.Equal(ActorSocket.Protocol.CloseCode.PolicyViolation, termination.CloseCode);
            JsonElement stats = await RequestAsync(present[0], """{"op":"presence-stats","topic":"quiet:big","id":1}""");
            Assert.Equal((10, 10), (stats.GetProperty("clients").GetInt32(), stats.GetProperty("users").GetInt32()));
        }
        finally
        {
            present.ForEach(client => client.Dispose());
        }
    }
}
