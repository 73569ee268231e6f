using System.Net.WebSockets;
using System.Text.Json;
using static ActorSocket.Gateway.Tests.PubSubTests;

namespace ActorSocket.Gateway.Tests.Identity;

/// <summary>
/// Wildcard subscriptions on <c>/pubsub</c> with real clients: deliveries under the concrete topic,
/// once per connection, the permissions a pattern needs, and what malformed patterns get.
/// </summary>
public class WildcardTests
{
    private const string Config = $$"""
        actorsocket.auth.jwt.hs256-secrets = ["{{Tokens.Secret}}"]
        actorsocket.pubsub.namespaces {
          sensors { wildcards = on }
          secure { wildcards = on, allow-subscribe = granted }
          team { wildcards = on, private-prefix = "$" }
          inbox { wildcards = on }
          plain { }
        }
        """;

    private static async Task<ClientWebSocket> ConnectAsync(TestServer server, string? token = null)
    {
        var client = new ClientWebSocket();
        await client.ConnectAsync(new Uri(server.Uri("/pubsub") + (token is null ? string.Empty : "?token=" + token)), CancellationToken.None);
        return client;
    }

    private static async Task<string> RequestAsync(WebSocket client, string json)
    {
        await SendAsync(client, json);
        JsonElement answer = await ReceiveAsync(client);
        string op = answer.GetProperty("op").GetString()!;
        return op == "error" ? answer.GetProperty("code").GetString()! : op;
    }

    private static Task<string> SubscribeAsync(WebSocket client, string topic) => RequestAsync(client, $$"""{"op":"subscribe","topic":"{{topic}}","id":1}""");

    /// <summary>Publishes and waits for the ack: by then the message has been handed to every subscriber.</summary>
    private static async Task PublishAsync(WebSocket publisher, string topic, string data) =>
        Assert.Equal("ack", await RequestAsync(publisher, $$"""{"op":"publish","topic":"{{topic}}","data":"{{data}}","id":2}"""));

    private static async Task<(string Topic, string Data)> MessageAsync(WebSocket client)
    {
        JsonElement message = await ReceiveAsync(client);
        Assert.Equal("message", message.GetProperty("op").GetString());
        return (message.GetProperty("topic").GetString()!, message.GetProperty("data").GetString()!);
    }

    [Fact]
    public async Task A_pattern_subscriber_receives_each_matching_publish_once_under_its_concrete_topic()
    {
        await using TestServer server = await TestServer.StartAsync(Config);
        using ClientWebSocket watcher = await ConnectAsync(server);
        using ClientWebSocket publisher = await ConnectAsync(server);
        Assert.Equal("ack", await SubscribeAsync(watcher, "sensors:eu.*.temp"));
        Assert.Equal("ack", await SubscribeAsync(watcher, "sensors:eu.>"));
        Assert.Equal("ack", await SubscribeAsync(watcher, "sensors:eu.berlin.temp")); // by name too

        // What does not match first: had any of it been delivered, it would come before what follows.
        await PublishAsync(publisher, "sensors:us.nyc.temp", "no");
        await PublishAsync(publisher, "sensors:eu", "no");
        await PublishAsync(publisher, "other:eu.berlin.temp", "no");
        await PublishAsync(publisher, "sensors:eu.berlin.temp", "1");
        await PublishAsync(publisher, "sensors:eu.berlin.hum", "2");
        await PublishAsync(publisher, "sensors:eu.berlin.temp", "3");

        Assert.Equal(("sensors:eu.berlin.temp", "1"), await MessageAsync(watcher));
        Assert.Equal(("sensors:eu.berlin.hum", "2"), await MessageAsync(watcher));
        Assert.Equal(("sensors:eu.berlin.temp", "3"), await MessageAsync(watcher));

        // Unsubscribing a pattern: exactly as it was subscribed.
        Assert.Equal("ack", await RequestAsync(watcher, """{"op":"unsubscribe","topic":"sensors:eu.>","id":3}"""));
        await PublishAsync(publisher, "sensors:eu.berlin.hum", "gone");
        await PublishAsync(publisher, "sensors:eu.paris.temp", "4");
        Assert.Equal(("sensors:eu.paris.temp", "4"), await MessageAsync(watcher));
    }

    [Fact]
    public async Task Malformed_patterns_and_patterns_where_a_topic_is_needed_get_bad_request_and_the_connection_goes_on()
    {
        await using TestServer server = await TestServer.StartAsync(Config);
        using ClientWebSocket client = await ConnectAsync(server);
        foreach (string pattern in new[] { "sensors:a.>.b", "sensors:a..*", "sensors:.a.*", "sensors:a.*.", "sensors:a.b*", "sensors:>x", "inbox:#*", "inbox:#ann.>" })
        {
            Assert.Equal("bad_request", await SubscribeAsync(client, pattern));
        }

        Assert.Equal("bad_request", await RequestAsync(client, """{"op":"subscribe","topic":"sensors:a.*","since":{"epoch":"e","offset":1},"id":1}"""));
        Assert.Equal("bad_request", await RequestAsync(client, """{"op":"publish","topic":"sensors:a.*","data":1,"id":1}"""));
        Assert.Equal("bad_request", await RequestAsync(client, """{"op":"history","topic":"sensors:a.>","id":1}"""));
        Assert.Equal("ack", await SubscribeAsync(client, "sensors:a.*"));
        Assert.Equal(WebSocketState.Open, client.State);

        // Where the namespace has no wildcards, * and > are characters of a name.
        Assert.Equal("ack", await SubscribeAsync(client, "plain:a.*"));
        using ClientWebSocket publisher = await ConnectAsync(server);
        await PublishAsync(publisher, "plain:a.b", "no");
        await PublishAsync(publisher, "plain:a.*", "literal");
        Assert.Equal(("plain:a.*", "literal"), await MessageAsync(client));
    }

    [Fact]
    public async Task A_pattern_needs_the_permission_of_every_topic_it_may_match_and_never_matches_a_user_channel()
    {
        await using TestServer server = await TestServer.StartAsync(Config);
        using ClientWebSocket anonymous = await ConnectAsync(server);
        using ClientWebSocket granted = await ConnectAsync(server, Tokens.Make("ann", channels: ["secure:eu.>", "team:$staff.*"]));
        using ClientWebSocket publisher = await ConnectAsync(server);

        Assert.Equal("unauthorized", await SubscribeAsync(anonymous, "secure:eu.*"));
        Assert.Equal("ack", await SubscribeAsync(granted, "secure:eu.*.temp")); // covered by secure:eu.>
        Assert.Equal("forbidden", await SubscribeAsync(granted, "secure:>")); // wider than the grant
        Assert.Equal("forbidden", await SubscribeAsync(granted, "secure:*.berlin"));

        // Private topics: a pattern that may reach one needs a grant; one that cannot is anyone's.
        Assert.Equal("unauthorized", await SubscribeAsync(anonymous, "team:>"));
        Assert.Equal("unauthorized", await SubscribeAsync(anonymous, "team:*.x"));
        Assert.Equal("ack", await SubscribeAsync(anonymous, "team:public.*"));
        Assert.Equal("forbidden", await SubscribeAsync(granted, "team:>"));
        Assert.Equal("ack", await SubscribeAsync(granted, "team:$staff.*"));

        // A user channel is its user's alone: inbox:> sees inbox:ann, never inbox:#ann.
        Assert.Equal("ack", await SubscribeAsync(anonymous, "inbox:>"));
        await PublishAsync(publisher, "inbox:#ann", "private");
        await PublishAsync(publisher, "team:$staff.room", "staff");
        await PublishAsync(publisher, "inbox:ann", "public");
        Assert.Equal(("inbox:ann", "public"), await MessageAsync(anonymous));
        Assert.Equal(("team:$staff.room", "staff"), await MessageAsync(granted));
    }
}
