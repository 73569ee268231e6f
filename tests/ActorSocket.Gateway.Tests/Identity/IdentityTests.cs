using System.Net.WebSockets;
using System.Text.Json;
using ActorSocket.Gateway.Configuration;
using ActorSocket.Protocol;
using Akka.Configuration;
using static ActorSocket.Gateway.Tests.PubSubTests;

namespace ActorSocket.Gateway.Tests.Identity;

/// <summary>
/// JWT identity on <c>/pubsub</c> with real clients and real tokens: at the handshake and in
/// <c>connect</c>, refresh and expiry, permissions, user channels and private topics, publisher
/// exclusion, rate limits, and what bad tokens get.
/// </summary>
public class IdentityTests
{
    private const string Config = $$"""
        actorsocket.auth.jwt.hs256-secrets = ["{{Tokens.Secret}}"]
        actorsocket.auth.jwt.expiry-grace = 0s
        actorsocket.ping-interval = 2s
        actorsocket.pubsub.namespaces {
          members { allow-subscribe = authenticated, allow-publish = authenticated }
          granted { allow-subscribe = granted, allow-publish = granted }
          notifications { allow-publish = nobody }
          team { private-prefix = "$" }
        }
        """;

    private static async Task<ClientWebSocket> ConnectAsync(TestServer server, string? bearer = null, string query = "")
    {
        var client = new ClientWebSocket();
        if (bearer is not null)
        {
            client.Options.SetRequestHeader("Authorization", "Bearer " + bearer);
        }

        await client.ConnectAsync(new Uri(server.Uri("/pubsub") + query), CancellationToken.None);
        return client;
    }

    private static async Task<JsonElement> RequestAsync(WebSocket client, string json)
    {
        await SendAsync(client, json);
        return await ReceiveAsync(client);
    }

    /// <summary>A publish to a topic the client is subscribed to: its ack and its message, in whichever order they come.</summary>
    private static async Task<(JsonElement Ack, JsonElement Message)> PublishOwnAsync(WebSocket client, string json)
    {
        await SendAsync(client, json);
        JsonElement first = await ReceiveAsync(client);
        JsonElement second = await ReceiveAsync(client);
        return first.GetProperty("op").GetString() == "message" ? (second, first) : (first, second);
    }

    private static string Code(JsonElement answer) => answer.GetProperty("op").GetString() == "error" ? answer.GetProperty("code").GetString()! : answer.GetProperty("op").GetString()!;

    private static async Task<WebSocketReceiveResult> ReceiveCloseAsync(WebSocket client, TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        var buffer = new byte[4096];
        WebSocketReceiveResult result;
        do
        {
            result = await client.ReceiveAsync(buffer, timeout.Token);
        }
        while (result.MessageType != WebSocketMessageType.Close);
        return result;
    }

    private static string Upgrade(string headers = "", string query = "") =>
        "GET /pubsub" + query + " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" + headers + "\r\n";

    [Fact]
    public async Task A_token_at_the_handshake_gives_the_connection_its_user_and_a_bad_one_gets_401_without_the_token_in_the_log()
    {
        await using TestServer server = await TestServer.StartAsync(Config);
        string token = Tokens.Make("ann", expiresIn: TimeSpan.FromMinutes(10));
        using (ClientWebSocket header = await ConnectAsync(server, bearer: token))
        {
            JsonElement connected = await RequestAsync(header, """{"op":"connect","id":0}""");
            Assert.Equal(("connected", "ann"), (connected.GetProperty("op").GetString(), connected.GetProperty("user").GetString()));
            Assert.InRange(connected.GetProperty("expires_in").GetInt64(), 590, 600);
            Assert.Equal("ack", Code(await RequestAsync(header, """{"op":"subscribe","topic":"members:x","id":1}""")));
        }

        using (ClientWebSocket query = await ConnectAsync(server, query: "?token=" + Tokens.Make("bob")))
        {
            JsonElement connected = await RequestAsync(query, """{"op":"connect","id":0}""");
            Assert.Equal("bob", connected.GetProperty("user").GetString());
            Assert.Equal(JsonValueKind.Null, connected.GetProperty("expires_in").ValueKind); // no exp: no expiry
        }

        using (ClientWebSocket anonymous = await ConnectAsync(server))
        {
            JsonElement connected = await RequestAsync(anonymous, """{"op":"connect","id":"who"}""");
            Assert.Equal(("", "who"), (connected.GetProperty("user").GetString(), connected.GetProperty("id").GetString()));
            Assert.NotEqual(string.Empty, connected.GetProperty("client").GetString());
        }

        string expired = Tokens.Make("ann", expiresIn: TimeSpan.FromMinutes(-1));
        foreach (string request in new[] { Upgrade("Authorization: Bearer " + expired + "\r\n"), Upgrade(query: "?token=garbage.garbage.garbage"), Upgrade("Authorization: Bearer " + Tokens.Unsigned("ann") + "\r\n") })
        {
            string answer = await RawClient.HttpAsync(server.Port, request);
            Assert.StartsWith("HTTP/1.1 401 ", answer);
            Assert.Contains("WWW-Authenticate: Bearer", answer, StringComparison.Ordinal);
        }

        Assert.Contains(server.LogEvents, e => e.RenderMessage().Contains("token expired", StringComparison.Ordinal));
        Assert.DoesNotContain(server.LogEvents, e => e.RenderMessage().Contains(expired[..20], StringComparison.Ordinal) || e.Exception is not null);
        Assert.True(server.Server.Metrics.TokenRefusals.WithLabels("handshake").Value >= 3);
    }

    [Fact]
    public async Task A_connect_frame_identifies_an_anonymous_connection_and_an_invalid_one_closes_it_with_3000()
    {
        await using TestServer server = await TestServer.StartAsync(Config);
        using ClientWebSocket client = await ConnectAsync(server);
        Assert.Equal("unauthorized", Code(await RequestAsync(client, """{"op":"subscribe","topic":"members:x","id":1}""")));
        JsonElement connected = await RequestAsync(client, $$"""{"op":"connect","token":"{{Tokens.Make("ann", expiresIn: TimeSpan.FromMinutes(5))}}","id":0}""");
        Assert.Equal(("connected", 0, "ann"), (connected.GetProperty("op").GetString(), connected.GetProperty("id").GetInt32(), connected.GetProperty("user").GetString()));
        Assert.Equal("ack", Code(await RequestAsync(client, """{"op":"subscribe","topic":"members:x","id":2}""")));

        // Another user's token does not take the connection over; the connection goes on as ann.
        JsonElement other = await RequestAsync(client, $$"""{"op":"connect","token":"{{Tokens.Make("bob")}}","id":3}""");
        Assert.Equal("unauthorized", Code(other));
        Assert.Equal("ann", (await RequestAsync(client, """{"op":"connect","id":4}""")).GetProperty("user").GetString());

        using ClientWebSocket bad = await ConnectAsync(server);
        JsonElement refused = await RequestAsync(bad, $$"""{"op":"connect","token":"{{Tokens.Make("ann", signing: Tokens.Hs256(Tokens.OtherSecret))}}","id":0}""");
        Assert.Equal(("unauthorized", "token signature invalid"), (Code(refused), refused.GetProperty("message").GetString()));
        WebSocketReceiveResult close = await ReceiveCloseAsync(bad, TimeSpan.FromSeconds(10));
        Assert.Equal(((WebSocketCloseStatus)(int)CloseCode.Unauthorized, "unauthorized"), (close.CloseStatus, close.CloseStatusDescription));

        // Oversized and non-string tokens: 3000 and bad_request; the server serves the first client on.
        using ClientWebSocket huge = await ConnectAsync(server);
        Assert.Equal("unauthorized", Code(await RequestAsync(huge, $$"""{"op":"connect","token":"{{new string('x', 9000)}}","id":0}""")));
        Assert.Equal((WebSocketCloseStatus)3000, (await ReceiveCloseAsync(huge, TimeSpan.FromSeconds(10))).CloseStatus);
        using ClientWebSocket typed = await ConnectAsync(server);
        Assert.Equal("bad_request", Code(await RequestAsync(typed, """{"op":"connect","token":42,"id":0}""")));
        Assert.Equal("bad_request", Code(await RequestAsync(typed, """{"op":"refresh","id":1}""")));
        Assert.Equal("ack", Code(await RequestAsync(client, """{"op":"subscribe","topic":"members:y","id":5}""")));
    }

    [Fact]
    public async Task A_token_that_expires_without_refresh_closes_with_3001_and_a_refreshed_one_keeps_its_connection()
    {
        await using TestServer server = await TestServer.StartAsync(Config);
        using ClientWebSocket lapsing = await ConnectAsync(server);
        Assert.Equal("connected", Code(await RequestAsync(lapsing, $$"""{"op":"connect","token":"{{Tokens.Make("ann", expiresIn: TimeSpan.FromSeconds(3))}}","id":0}""")));

        // This one's first token expires earlier; it refreshes at once.
        using ClientWebSocket refreshed = await ConnectAsync(server, bearer: Tokens.Make("bob", expiresIn: TimeSpan.FromSeconds(1)));
        Assert.Equal("unauthorized", Code(await RequestAsync(refreshed, $$"""{"op":"refresh","token":"{{Tokens.Make("eve", expiresIn: TimeSpan.FromMinutes(5))}}","id":1}""")));
        Assert.Equal("unauthorized", Code(await RequestAsync(refreshed, $$"""{"op":"refresh","token":"{{Tokens.Make("bob", expiresIn: TimeSpan.FromMinutes(-5))}}","id":2}""")));
        Assert.Equal("ack", Code(await RequestAsync(refreshed, $$"""{"op":"refresh","token":"{{Tokens.Make("bob", expiresIn: TimeSpan.FromMinutes(5))}}","id":3}""")));

        WebSocketReceiveResult close = await ReceiveCloseAsync(lapsing, TimeSpan.FromSeconds(15));
        Assert.Equal(((WebSocketCloseStatus)(int)CloseCode.TokenExpired, "token expired"), (close.CloseStatus, close.CloseStatusDescription));

        // Its own deadline (1 s) has passed too, before the other's (3 s): the refresh moved it.
        Assert.Equal("ack", Code(await RequestAsync(refreshed, """{"op":"subscribe","topic":"members:z","id":4}""")));
        Assert.Equal(WebSocketState.Open, refreshed.State);
    }

    [Fact]
    public async Task Namespaces_grant_by_the_tokens_claims_and_user_channels_and_private_topics_need_their_user_or_a_grant()
    {
        await using TestServer server = await TestServer.StartAsync(Config);
        using ClientWebSocket anonymous = await ConnectAsync(server);
        using ClientWebSocket ann = await ConnectAsync(server, bearer: Tokens.Make("ann", channels: ["granted:a", "granted:team.*", "team:$staff"], publish: ["granted:a"]));
        using ClientWebSocket bob = await ConnectAsync(server, bearer: Tokens.Make("bob"));

        Assert.Equal("ack", Code(await RequestAsync(ann, """{"op":"subscribe","topic":"granted:a","id":1}""")));
        Assert.Equal("ack", Code(await RequestAsync(ann, """{"op":"subscribe","topic":"granted:team.red","id":2}""")));
        JsonElement notGranted = await RequestAsync(ann, """{"op":"subscribe","topic":"granted:b","id":3}""");
        Assert.Equal("forbidden", Code(notGranted));
        Assert.Contains("allow-subscribe = granted", notGranted.GetProperty("message").GetString(), StringComparison.Ordinal);
        (JsonElement ack, JsonElement own) = await PublishOwnAsync(ann, """{"op":"publish","topic":"granted:a","data":1,"id":4}""");
        Assert.Equal(("ack", 1), (Code(ack), own.GetProperty("data").GetInt32())); // its own publish, on its subscription
        Assert.Equal("forbidden", Code(await RequestAsync(ann, """{"op":"publish","topic":"granted:team.red","data":1,"id":5}""")));
        Assert.Equal("unauthorized", Code(await RequestAsync(anonymous, """{"op":"subscribe","topic":"granted:a","id":6}""")));
        Assert.Equal("forbidden", Code(await RequestAsync(bob, """{"op":"subscribe","topic":"granted:a","id":7}""")));

        // A user channel: its user only; anonymous connections are told to identify, others refused.
        Assert.Equal("ack", Code(await RequestAsync(ann, """{"op":"subscribe","topic":"notifications:#ann","id":8}""")));
        JsonElement others = await RequestAsync(bob, """{"op":"subscribe","topic":"notifications:#ann","id":9}""");
        Assert.Equal("forbidden", Code(others));
        Assert.DoesNotContain("#ann", others.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("unauthorized", Code(await RequestAsync(anonymous, """{"op":"subscribe","topic":"notifications:#ann","id":10}""")));
        Assert.Equal("forbidden", Code(await RequestAsync(ann, """{"op":"publish","topic":"notifications:#ann","data":1,"id":11}""")));

        // A private topic needs a grant, though its namespace lets anyone subscribe to the others.
        Assert.Equal("ack", Code(await RequestAsync(anonymous, """{"op":"subscribe","topic":"team:open","id":12}""")));
        Assert.Equal("unauthorized", Code(await RequestAsync(anonymous, """{"op":"subscribe","topic":"team:$staff","id":13}""")));
        Assert.Equal("forbidden", Code(await RequestAsync(bob, """{"op":"subscribe","topic":"team:$staff","id":14}""")));
        Assert.Equal("ack", Code(await RequestAsync(ann, """{"op":"subscribe","topic":"team:$staff","id":15}""")));
        Assert.True(server.Server.Metrics.PermissionRefusals.WithLabels("forbidden").Value >= 5);
    }

    [Theory]
    [InlineData("lobby")]
    [InlineData("room:echo")]
    public async Task A_publish_with_echo_false_reaches_every_subscriber_but_its_publisher(string topic)
    {
        await using TestServer server = await TestServer.StartAsync(Config);
        using ClientWebSocket publisher = await ConnectAsync(server);
        using ClientWebSocket other = await ConnectAsync(server);
        await SubscribeAsync(publisher, topic);
        await SubscribeAsync(other, topic);

        Assert.Equal("ack", Code(await RequestAsync(publisher, $$"""{"op":"publish","topic":"{{topic}}","data":1,"echo":false,"id":1}""")));
        // Messages of one publisher arrive in order: the first the publisher sees is its second.
        (JsonElement ack, JsonElement first) = await PublishOwnAsync(publisher, $$"""{"op":"publish","topic":"{{topic}}","data":2,"id":2}""");
        Assert.Equal(("ack", 2), (Code(ack), first.GetProperty("data").GetInt32()));
        Assert.Equal(1, (await ReceiveAsync(other)).GetProperty("data").GetInt32());
        Assert.Equal(2, (await ReceiveAsync(other)).GetProperty("data").GetInt32());
        Assert.Equal("bad_request", Code(await RequestAsync(publisher, $$"""{"op":"publish","topic":"{{topic}}","data":3,"echo":"no","id":3}""")));
    }

    [Fact]
    public async Task Rate_limits_answer_rate_limited_with_the_wait_and_a_client_that_keeps_pushing_is_closed_with_1008()
    {
        await using TestServer server = await TestServer.StartAsync(Config + """
            actorsocket.pubsub.rate-limit { publishes-per-second = 0.01, publish-burst = 2, error-budget = 3 }
            actorsocket.pubsub.namespaces.slow.rate-limit { publishes-per-second = 0.01, publish-burst = 1 }
            """);
        using ClientWebSocket client = await ConnectAsync(server);
        using ClientWebSocket bystander = await ConnectAsync(server);
        Assert.Equal("ack", Code(await RequestAsync(client, """{"op":"publish","topic":"slow:a","data":1,"id":1}""")));
        JsonElement limited = await RequestAsync(client, """{"op":"publish","topic":"slow:a","data":2,"id":2}""");
        Assert.Equal(("rate_limited", 2), (Code(limited), limited.GetProperty("id").GetInt32()));
        Assert.InRange(limited.GetProperty("retry_after_ms").GetInt64(), 90_000, 100_000);
        Assert.Contains("namespace slow", limited.GetProperty("message").GetString(), StringComparison.Ordinal);

        Assert.Equal("ack", Code(await RequestAsync(client, """{"op":"publish","topic":"fast","data":3,"id":3}""")));
        Assert.Equal("ack", Code(await RequestAsync(client, """{"op":"subscribe","topic":"fast","id":4}"""))); // subscribes are not publishes
        Assert.Equal("rate_limited", Code(await RequestAsync(client, """{"op":"publish","topic":"fast","data":4,"id":5}""")));
        Assert.Equal("rate_limited", Code(await RequestAsync(client, """{"op":"publish","topic":"fast","data":5,"id":6}""")));

        // The budget of three rate_limited answers is spent: the next one closes the connection.
        await SendAsync(client, """{"op":"publish","topic":"fast","data":6,"id":7}""");
        WebSocketReceiveResult close = await ReceiveCloseAsync(client, TimeSpan.FromSeconds(10));
        Assert.Equal((WebSocketCloseStatus.PolicyViolation, "rate limit"), (close.CloseStatus, close.CloseStatusDescription));
        Assert.Equal(1, server.Server.Metrics.RateLimitCloses.Value);

        // Limits are per connection: another client publishes.
        Assert.Equal("ack", Code(await RequestAsync(bystander, """{"op":"publish","topic":"fast","data":7,"id":1}""")));
    }

    private static GatewayOptions Options(params string[] sets) =>
        GatewayOptions.From(GatewayConfig.Load(CommandLineOptions.Parse([.. sets.SelectMany(set => new[] { "--set", set })])));

    [Theory]
    [InlineData("actorsocket.auth.jwt.hs256-secrets = [\"short\"]", "shorter than 32 bytes")]
    [InlineData("actorsocket.auth.jwt.public-keys = [\"not a key\"]", "public-keys: key 1")]
    [InlineData("actorsocket.auth.jwt.key-files = [\"/nonexistent/key.pem\"]", "cannot read /nonexistent/key.pem")]
    [InlineData("actorsocket.auth.jwt.issuer = \"https://issuer\"", "no key")]
    [InlineData("actorsocket.auth.jwt.clock-skew = 10m", "clock-skew")]
    [InlineData("actorsocket.pubsub.rate-limit.publishes-per-second = -1", "publishes-per-second")]
    [InlineData("actorsocket.pubsub.namespaces.room.private-prefix = \"#\"", "private-prefix")]
    [InlineData("actorsocket.routes.\"/pubsub\".jwt = on", "no key")]
    public void Identity_settings_out_of_range_are_refused_at_start_with_their_key(string set, string key)
    {
        var error = Assert.Throws<ConfigurationException>(() => Options(set));
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_route_with_static_tokens_and_jwt_identity_is_refused_at_start_and_jwt_off_resolves_it()
    {
        string secret = "actorsocket.auth.jwt.hs256-secrets = [\"" + Tokens.Secret + "\"]";
        string bearer = "actorsocket.routes.\"/pubsub\".auth { type = bearer, tokens { t = ann } }";
        var error = Assert.Throws<ConfigurationException>(() => Options(secret, bearer));
        Assert.Contains("static auth", error.Message, StringComparison.Ordinal);
        Assert.Contains("/pubsub", error.Message, StringComparison.Ordinal);

        GatewayOptions resolved = Options(secret, bearer, "actorsocket.routes.\"/pubsub\".jwt = off");
        Assert.False(resolved.Routes.Single(route => route.Path == "/pubsub").Jwt);
        Assert.True(resolved.Routes.Single(route => route.Path == "/echo").Jwt);
        Assert.Null(Options().PubSub.Jwt); // no key: no JWT at all
    }

    [Fact]
    public async Task A_users_connections_share_one_publish_budget_and_anonymous_ones_and_other_users_do_not_take_from_it()
    {
        await using TestServer server = await TestServer.StartAsync(Config + """

            actorsocket.pubsub.rate-limit { user-publishes-per-second = 0.01, user-publish-burst = 3 }
            """);
        using ClientWebSocket tab1 = await ConnectAsync(server, bearer: Tokens.Make("ann"));
        using ClientWebSocket tab2 = await ConnectAsync(server, query: "?token=" + Tokens.Make("ann"));
        using ClientWebSocket other = await ConnectAsync(server, bearer: Tokens.Make("bob"));
        using ClientWebSocket anonymous = await ConnectAsync(server);
        Assert.Equal("ack", Code(await RequestAsync(tab1, """{"op":"publish","topic":"t","data":1,"id":1}""")));
        Assert.Equal("ack", Code(await RequestAsync(tab2, """{"op":"publish","topic":"t","data":2,"id":2}""")));
        Assert.Equal("ack", Code(await RequestAsync(tab1, """{"op":"publish","topic":"t","data":3,"id":3}""")));
        JsonElement limited = await RequestAsync(tab2, """{"op":"publish","topic":"t","data":4,"id":4}""");
        Assert.Equal(("rate_limited", 4), (Code(limited), limited.GetProperty("id").GetInt32()));
        Assert.InRange(limited.GetProperty("retry_after_ms").GetInt64(), 1, 100_000);
        Assert.Equal("rate_limited", Code(await RequestAsync(tab1, """{"op":"publish","topic":"t","data":5,"id":5}""")));

        // Bob has his own budget; a connection without a token has none (only the per-connection limits).
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal("ack", Code(await RequestAsync(other, """{"op":"publish","topic":"t","data":6,"id":6}""")));
        }

        for (int i = 0; i < 10; i++)
        {
            Assert.Equal("ack", Code(await RequestAsync(anonymous, """{"op":"publish","topic":"t","data":7,"id":7}""")));
        }

        // A burst of publishes in flight at once: answered in the order sent, the first ones refused as well.
        for (int i = 0; i < 5; i++)
        {
            await SendAsync(tab1, $$"""{"op":"publish","topic":"t","data":{{i}},"id":{{100 + i}}}""");
        }

        for (int i = 0; i < 5; i++)
        {
            JsonElement answer = await ReceiveAsync(tab1);
            Assert.Equal(("rate_limited", 100 + i), (Code(answer), answer.GetProperty("id").GetInt32()));
        }

        Assert.True(server.Server.Metrics.RateLimited.Value >= 7);
    }
}
