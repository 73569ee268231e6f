using System.Net.WebSockets;
using System.Text.Json;
using ActorSocket.Gateway.Tests.Identity;
using static ActorSocket.Gateway.Tests.PubSubTests;

namespace ActorSocket.Gateway.Tests;

/// <summary>
/// The server API against the real server, from HttpClient: keys, every endpoint, what WebSocket
/// clients see of it, and bad, oversized, lying and stalled requests.
/// </summary>
public class ServerApiTests
{
    private const string Key = "test-key-0123456789abcdef";
    private const string OtherKey = "second-key-during-a-rotation";

    private static readonly string Config = $$"""
        actorsocket.api.keys = ["{{Key}}", "{{OtherKey}}"]
        actorsocket.auth.jwt.hs256-secrets = ["{{Tokens.Secret}}"]
        actorsocket.pubsub.namespaces {
          news { history.size = 10 }
          live { presence = on }
          closed { allow-subscribe = nobody, allow-publish = nobody }
          tree { wildcards = on }
        }
        """;

    private static ApiClient Api(TestServer server, string? key = Key) => new(server.Server.EndPoint!.Port, key);

    private static async Task<ClientWebSocket> ConnectAsync(TestServer server, string? token = null)
    {
        var client = new ClientWebSocket();
        await client.ConnectAsync(new Uri(server.Uri("/pubsub") + (token is null ? string.Empty : "?token=" + token)), CancellationToken.None);
        return client;
    }

    private static string Code(JsonElement body) => body.GetProperty("error").GetProperty("code").GetString()!;

    [Fact]
    public async Task Without_a_key_configured_the_api_is_not_there()
    {
        await using TestServer server = await TestServer.StartAsync();
        (int status, _) = await Api(server).PostAsync("publish", """{"topic":"a:b","data":1}""");
        Assert.Equal(404, status);
    }

    [Fact]
    public async Task On_a_port_of_its_own_the_api_is_served_there_alone_and_not_on_the_daemons_port()
    {
        int port = TestPorts.Free();

        await using TestServer server = await TestServer.StartAsync(Config + "\nactorsocket.api.port = " + port);
        Assert.Equal(port, server.Server.ApiEndPoint!.Port);
        using ClientWebSocket subscriber = await ConnectAsync(server);
        await SubscribeAsync(subscriber, "plain:own");
        await new ApiClient(port, Key).ResultAsync("publish", """{"topic":"plain:own","data":"via the api port"}""");
        Assert.Equal("via the api port", (await ReceiveAsync(subscriber)).GetProperty("data").GetString());

        Assert.Equal(404, (await Api(server).PostAsync("publish", """{"topic":"plain:own","data":1}""")).Status); // not on the daemon's port
        Assert.StartsWith("HTTP/1.1 404 ", await RawClient.HttpAsync(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")); // no chat page there
        Assert.StartsWith("HTTP/1.1 404 ", await RawClient.HttpAsync(port, "GET /pubsub HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")); // nor WebSockets
    }

    [Fact]
    public async Task Successful_requests_keep_the_connection_for_the_next_pipelined_or_not_and_errors_or_close_end_it()
    {
        await using TestServer server = await TestServer.StartAsync(Config + "\nactorsocket.handshake-timeout = 2s");
        string Publish(string data, string extra = "") =>
            "POST /api/publish HTTP/1.1\r\nHost: x\r\nAuthorization: apikey " + Key + "\r\n" + extra + "Content-Length: " + (25 + data.Length) + "\r\n\r\n{\"topic\":\"a:b\",\"data\":\"" + data + "\"}";
        using System.Net.Sockets.Socket socket = await RawClient.ConnectSocketAsync(server.Port);
        var received = new System.Text.StringBuilder();
        byte[] buffer = new byte[8192];
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        async Task<int> AnswersAsync(int count)
        {
            while (System.Text.RegularExpressions.Regex.Matches(received.ToString(), "HTTP/1.1 ").Count < count)
            {
                int read = await socket.ReceiveAsync(buffer, System.Net.Sockets.SocketFlags.None, patience.Token);
                if (read == 0)
                {
                    break;
                }

                received.Append(System.Text.Encoding.ASCII.GetString(buffer, 0, read));
            }

            return System.Text.RegularExpressions.Regex.Matches(received.ToString(), "HTTP/1.1 200 ").Count;
        }

        // One request, then two sent at once (the second before the first's answer): three answers, one connection.
        await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes(Publish("one")));
        Assert.Equal(1, await AnswersAsync(1));
        await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes(Publish("two") + Publish("three")));
        Assert.Equal(3, await AnswersAsync(3));
        Assert.Equal(3, System.Text.RegularExpressions.Regex.Matches(received.ToString(), "Connection: keep-alive").Count);

        // Connection: close is honoured: the answer, then the end.
        await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes(Publish("four", "Connection: close\r\n")));
        Assert.Equal(4, await AnswersAsync(5)); // reads until the server closes
        Assert.EndsWith("{\"result\":{}}", received.ToString(), StringComparison.Ordinal);

        // An error closes too; an idle kept-alive connection is closed at the handshake timeout, without an event.
        string error = await RawClient.HttpAsync(server.Port, Publish("x").Replace("apikey " + Key, "apikey wrong", StringComparison.Ordinal));
        Assert.Contains("Connection: close", error, StringComparison.Ordinal);
        using System.Net.Sockets.Socket idle = await RawClient.ConnectSocketAsync(server.Port);
        await idle.SendAsync(System.Text.Encoding.ASCII.GetBytes(Publish("idle")));
        string kept = await RawClient.ReadToEndAsync(idle);
        Assert.Contains("Connection: keep-alive", kept, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_that_pipelines_a_flood_of_requests_gets_some_answers_then_the_end_and_others_are_served()
    {
        await using TestServer server = await TestServer.StartAsync(Config);
        string one = "POST /api/publish HTTP/1.1\r\nHost: x\r\nAuthorization: apikey " + Key + "\r\nContent-Length: 24\r\n\r\n{\"topic\":\"a:b\",\"data\":1}";
        using System.Net.Sockets.Socket flooder = await RawClient.ConnectSocketAsync(server.Port);
        await flooder.SendAsync(System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(one, 500)))); // about 75 KB at once
        string answers = await RawClient.ReadToEndAsync(flooder);

        // What fits in a request head's worth of waiting bytes (8 KiB) is answered in turn; past it, the connection ends.
        int answered = System.Text.RegularExpressions.Regex.Matches(answers, "HTTP/1.1 200 ").Count;
        Assert.InRange(answered, 1, 100);
        Assert.Contains("Connection: close", answers, StringComparison.Ordinal);
        Assert.Equal(200, (await Api(server).PostAsync("publish", """{"topic":"a:b","data":2}""")).Status);
    }

    [Fact]
    public async Task A_request_without_a_configured_key_gets_401_and_each_configured_key_is_taken()
    {
        await using TestServer server = await TestServer.StartAsync(Config);
        foreach (string? key in new[] { null, "wrong", Key + "x" })
        {
            (int status, JsonElement body) = await Api(server, key).PostAsync("publish", """{"topic":"a:b","data":1}""");
            Assert.Equal((401, "unauthorized"), (status, Code(body)));
        }

        foreach (string key in new[] { Key, OtherKey })
        {
            Assert.Equal(200, (await Api(server, key).PostAsync("publish", """{"topic":"a:b","data":1}""")).Status);
        }

        // Counted by endpoint and status.
        Assert.Equal((3.0, 2.0), (server.Server.Metrics.ApiRequests.WithLabels("publish", "401").Value, server.Server.Metrics.ApiRequests.WithLabels("publish", "200").Value));
    }

    [Fact]
    public async Task A_publish_reaches_websocket_subscribers_and_answers_with_its_position_where_the_topic_has_history()
    {
        await using TestServer server = await TestServer.StartAsync(Config);
        using ClientWebSocket news = await ConnectAsync(server);
        using ClientWebSocket plain = await ConnectAsync(server);
        await SubscribeAsync(news, "news:today");
        await SubscribeAsync(plain, "plain:x");

        JsonElement first = await Api(server).ResultAsync("publish", """{"topic":"news:today","data":{"title":"one"}}""");
        JsonElement second = await Api(server).ResultAsync("publish", """{"topic":"news:today","data":"two"}""");
        Assert.Equal((1L, 2L), (first.GetProperty("offset").GetInt64(), second.GetProperty("offset").GetInt64()));
        Assert.Equal(first.GetProperty("epoch").GetString(), second.GetProperty("epoch").GetString());
        JsonElement message = await ReceiveAsync(news);
        Assert.Equal(("news:today", 1L, "one"), (message.GetProperty("topic").GetString(), message.GetProperty("offset").GetInt64(), message.GetProperty("data").GetProperty("title").GetString()));
        Assert.Equal(2L, (await ReceiveAsync(news)).GetProperty("offset").GetInt64());

        JsonElement noHistory = await Api(server).ResultAsync("publish", """{"topic":"plain:x","data":[1,2]}""");
        Assert.False(noHistory.TryGetProperty("offset", out _));
        Assert.Equal("[1,2]", (await ReceiveAsync(plain)).GetProperty("data").GetRawText());

        // A broadcast: one answer per topic, in order.
        JsonElement broadcast = await Api(server).ResultAsync("broadcast", """{"topics":["news:today","plain:x"],"data":"both"}""");
        JsonElement[] responses = [.. broadcast.GetProperty("responses").EnumerateArray()];
        Assert.Equal(3L, responses[0].GetProperty("result").GetProperty("offset").GetInt64());
        Assert.False(responses[1].GetProperty("result").TryGetProperty("offset", out _));
        Assert.Equal("both", (await ReceiveAsync(news)).GetProperty("data").GetString());
        Assert.Equal("both", (await ReceiveAsync(plain)).GetProperty("data").GetString());

        // History and its recovery, as the history request has them.
        JsonElement history = await Api(server).ResultAsync("history", """{"topic":"news:today","limit":2}""");
        Assert.Equal([2L, 3L], history.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("offset").GetInt64()));
        string epoch = history.GetProperty("epoch").GetString()!;
        JsonElement since = await Api(server).ResultAsync("history", $$$"""{"topic":"news:today","since":{"epoch":"{{{epoch}}}","offset":1}}""");
        Assert.True(since.GetProperty("recovered").GetBoolean());
        Assert.Equal([2L, 3L], since.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("offset").GetInt64()));
        Assert.False((await Api(server).ResultAsync("history", """{"topic":"news:today","since":{"epoch":"other","offset":1}}""")).GetProperty("recovered").GetBoolean());
    }

    [Fact]
    public async Task A_user_is_subscribed_unsubscribed_and_disconnected_on_all_its_connections_and_nobody_else()
    {
        await using TestServer server = await TestServer.StartAsync(Config);
        using ClientWebSocket tab1 = await ConnectAsync(server, Tokens.Make("ann"));
        using ClientWebSocket tab2 = await ConnectAsync(server);
        Assert.Equal("connected", (await RequestAsync(tab2, $$"""{"op":"connect","token":"{{Tokens.Make("ann")}}","id":1}""")).GetProperty("op").GetString());
        using ClientWebSocket bob = await ConnectAsync(server, Tokens.Make("bob"));

        // closed: nobody may subscribe there by themselves, but the backend decides for them.
        JsonElement subscribed = await Api(server).ResultAsync("subscribe", """{"user":"ann","topic":"closed:vip"}""");
        Assert.Equal(2, subscribed.GetProperty("connections").GetInt32());
        foreach (ClientWebSocket tab in new[] { tab1, tab2 })
        {
            JsonElement frame = await ReceiveAsync(tab);
            Assert.Equal(("subscribed", "closed:vip"), (frame.GetProperty("op").GetString(), frame.GetProperty("topic").GetString()));
        }

        await Api(server).ResultAsync("publish", """{"topic":"closed:vip","data":"hello ann"}""");
        foreach (ClientWebSocket tab in new[] { tab1, tab2 })
        {
            Assert.Equal("hello ann", (await ReceiveAsync(tab)).GetProperty("data").GetString());
        }

        // A topic with history: the frame has the position to recover from.
        await Api(server).ResultAsync("subscribe", """{"user":"ann","topic":"news:ann"}""");
        foreach (ClientWebSocket tab in new[] { tab1, tab2 })
        {
            JsonElement frame = await ReceiveAsync(tab);
            Assert.Equal(("subscribed", 0L), (frame.GetProperty("op").GetString(), frame.GetProperty("offset").GetInt64()));
        }

        Assert.Equal(2, (await Api(server).ResultAsync("unsubscribe", """{"user":"ann","topic":"closed:vip"}""")).GetProperty("connections").GetInt32());
        Assert.Equal("unsubscribed", (await ReceiveAsync(tab1)).GetProperty("op").GetString());
        Assert.Equal("unsubscribed", (await ReceiveAsync(tab2)).GetProperty("op").GetString());
        await Api(server).ResultAsync("publish", """{"topic":"closed:vip","data":"gone"}""");
        await Api(server).ResultAsync("publish", """{"topic":"news:ann","data":"still here"}""");
        Assert.Equal("still here", (await ReceiveAsync(tab1)).GetProperty("data").GetString()); // not "gone"

        // Nobody of that name: nothing done, and said so.
        Assert.Equal(0, (await Api(server).ResultAsync("disconnect", """{"user":"nobody"}""")).GetProperty("connections").GetInt32());

        // Disconnect: both of ann's with 3002 and the reason; bob stays.
        Assert.Equal(2, (await Api(server).ResultAsync("disconnect", """{"user":"ann","reason":"account closed"}""")).GetProperty("connections").GetInt32());
        foreach (ClientWebSocket tab in new[] { tab1, tab2 })
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            WebSocketReceiveResult result;
            do
            {
                result = await tab.ReceiveAsync(new byte[4096], timeout.Token);
            }
            while (result.MessageType != WebSocketMessageType.Close);
            Assert.Equal((3002, "account closed"), ((int)result.CloseStatus!, result.CloseStatusDescription));
        }

        Assert.Equal("connected", (await RequestAsync(bob, """{"op":"connect","id":2}""")).GetProperty("op").GetString());
    }

    [Fact]
    public async Task Presence_channels_and_info_describe_the_node()
    {
        await using TestServer server = await TestServer.StartAsync(Config);
        using ClientWebSocket ann = await ConnectAsync(server, Tokens.Make("ann"));
        using ClientWebSocket anonymous = await ConnectAsync(server);
        await SubscribeAsync(ann, "live:room");
        await SubscribeAsync(anonymous, "live:room");
        await SubscribeAsync(anonymous, "plain:other");

        JsonElement presence = await Api(server).ResultAsync("presence", """{"topic":"live:room"}""");
        Assert.Equal(["", "ann"], presence.GetProperty("clients").EnumerateArray().Select(c => c.GetProperty("user").GetString()).Order());
        JsonElement stats = await Api(server).ResultAsync("presence-stats", """{"topic":"live:room"}""");
        Assert.Equal((2, 1), (stats.GetProperty("clients").GetInt32(), stats.GetProperty("users").GetInt32())); // anonymous is nobody's

        (int status, JsonElement channels) = await Api(server).GetAsync("channels");
        Assert.Equal(200, status);
        Assert.Equal(
            [("live:room", 2), ("plain:other", 1)],
            channels.GetProperty("result").GetProperty("channels").EnumerateArray().Select(c => (c.GetProperty("topic").GetString()!, c.GetProperty("subscribers").GetInt32())));

        (status, JsonElement info) = await Api(server).GetAsync("info");
        Assert.Equal(200, status);
        JsonElement node = Assert.Single(info.GetProperty("result").GetProperty("nodes").EnumerateArray());
        Assert.Equal((2L, "local"), (node.GetProperty("connections").GetInt64(), node.GetProperty("node").GetString()));
        Assert.Equal(2L, info.GetProperty("result").GetProperty("connections").GetInt64());
    }

    [Theory]
    [InlineData("publish", "not json", 400, "bad_request")]
    [InlineData("publish", "[1,2]", 400, "bad_request")]
    [InlineData("publish", """{"data":1}""", 400, "bad_request")]
    [InlineData("publish", """{"topic":"","data":1}""", 400, "bad_request")]
    [InlineData("publish", """{"topic":7,"data":1}""", 400, "bad_request")]
    [InlineData("publish", """{"topic":"a:b"}""", 400, "bad_request")]
    [InlineData("publish", """{"topic":"tree:a.*","data":1}""", 400, "bad_request")]
    [InlineData("broadcast", """{"topics":"a:b","data":1}""", 400, "bad_request")]
    [InlineData("broadcast", """{"topics":[],"data":1}""", 400, "bad_request")]
    [InlineData("broadcast", """{"topics":["a:b",3],"data":1}""", 400, "bad_request")]
    [InlineData("subscribe", """{"topic":"a:b"}""", 400, "bad_request")]
    [InlineData("disconnect", """{"user":"ann","reason":5}""", 400, "bad_request")]
    [InlineData("history", """{"topic":"plain:x"}""", 400, "bad_request")]
    [InlineData("history", """{"topic":"news:x","limit":-2}""", 400, "bad_request")]
    [InlineData("history", """{"topic":"news:x","since":{"epoch":"e"}}""", 400, "bad_request")]
    [InlineData("presence", """{"topic":"plain:x"}""", 400, "bad_request")]
    [InlineData("nothing-here", "{}", 404, "not_found")]
    public async Task A_bad_request_gets_its_status_and_a_reason(string endpoint, string body, int expected, string code)
    {
        await using TestServer server = await TestServer.StartAsync(Config);
        (int status, JsonElement answer) = await Api(server).PostAsync(endpoint, body);
        Assert.Equal((expected, code), (status, Code(answer)));
        Assert.False(string.IsNullOrWhiteSpace(answer.GetProperty("error").GetProperty("message").GetString()));
    }

    [Fact]
    public async Task Wrong_methods_oversized_bodies_and_chunked_bodies_are_refused_with_their_status()
    {
        await using TestServer server = await TestServer.StartAsync(Config + "\nactorsocket.api.max-body-size = 4096");
        Assert.Equal(405, (await Api(server).GetAsync("publish")).Status);
        Assert.Equal(405, (await Api(server).PostAsync("info", "{}")).Status);

        // data over pubsub.max-publish-bytes (64 KiB by default) with a larger body limit
        await using TestServer roomy = await TestServer.StartAsync(Config);
        (int status, JsonElement body) = await Api(roomy).PostAsync("publish", "{\"topic\":\"a:b\",\"data\":\"" + new string('x', 70_000) + "\"}");
        Assert.Equal((413, "too_large"), (status, Code(body)));

        // A body over the API's limit is refused from its Content-Length, unread.
        int port = server.Server.EndPoint!.Port;
        string refused = await RawClient.HttpAsync(port, "POST /api/publish HTTP/1.1\r\nHost: x\r\nAuthorization: apikey " + Key + "\r\nContent-Length: 5000\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 413 ", refused);
        string chunked = await RawClient.HttpAsync(port, "POST /api/publish HTTP/1.1\r\nHost: x\r\nAuthorization: apikey " + Key + "\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 411 ", chunked);
        string conflicting = await RawClient.HttpAsync(port, "POST /api/publish HTTP/1.1\r\nHost: x\r\nAuthorization: apikey " + Key + "\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n{}  ");
        Assert.StartsWith("HTTP/1.1 400 ", conflicting);

        // Expect: 100-continue: the interim answer comes first, then the body is read.
        string expecting = await RawClient.HttpAsync(port, "POST /api/publish HTTP/1.1\r\nHost: x\r\nAuthorization: apikey " + Key + "\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 400 ", expecting); // an empty body is no JSON object
    }

    [Fact]
    public async Task A_client_that_announces_a_body_and_stalls_is_dropped_at_the_handshake_timeout_while_others_are_served()
    {
        await using TestServer server = await TestServer.StartAsync(Config + "\nactorsocket.handshake-timeout = 1s");
        int port = server.Server.EndPoint!.Port;
        using System.Net.Sockets.Socket stalled = await RawClient.ConnectSocketAsync(port);
        await stalled.SendAsync(System.Text.Encoding.ASCII.GetBytes("POST /api/publish HTTP/1.1\r\nHost: x\r\nAuthorization: apikey " + Key + "\r\nExpect: 100-continue\r\nContent-Length: 1000\r\n\r\n"));

        // It is told to go on (it asked to be), sends part of its body, and stalls.
        byte[] buffer = new byte[1024];
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        int read = await stalled.ReceiveAsync(buffer, System.Net.Sockets.SocketFlags.None, patience.Token);
        Assert.Equal("HTTP/1.1 100 Continue\r\n\r\n", System.Text.Encoding.ASCII.GetString(buffer, 0, read));
        await stalled.SendAsync("{\"topic\":"u8.ToArray());
        Assert.Equal(200, (await Api(server).PostAsync("publish", """{"topic":"a:b","data":1}""")).Status);

        // Then the connection ends, without an answer.
        try
        {
            Assert.Equal(0, await stalled.ReceiveAsync(buffer, System.Net.Sockets.SocketFlags.None, patience.Token));
        }
        catch (System.Net.Sockets.SocketException)
        {
            // dropped with a reset
        }
    }

    [Fact]
    public async Task The_served_openapi_document_is_the_repositorys_and_names_exactly_the_endpoints_that_answer()
    {
        await using TestServer server = await TestServer.StartAsync(Config);
        (int status, JsonElement served) = await Api(server).GetAsync("openapi.json");
        Assert.Equal(200, status);
        string file = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "docs", "openapi.json");
        Assert.Equal(JsonDocument.Parse(File.ReadAllText(file)).RootElement.GetRawText(), served.GetRawText());

        foreach (JsonProperty path in served.GetProperty("paths").EnumerateObject())
        {
            string endpoint = path.Name["/api/".Length..];
            foreach (JsonProperty method in path.Value.EnumerateObject())
            {
                // Every documented endpoint answers: an empty object is a bad request for every POST, a GET succeeds.
                (int answer, _) = method.Name == "post" ? await Api(server).PostAsync(endpoint, "{}") : await Api(server).GetAsync(endpoint);
                Assert.True(method.Name == "post" ? answer == 400 : answer == 200, path.Name + " " + method.Name + " answered " + answer);
            }
        }

        // And one that is not documented is not there.
        Assert.Equal(404, (await Api(server).PostAsync("publishes", "{}")).Status);
    }

    private static async Task<JsonElement> RequestAsync(WebSocket client, string json)
    {
        await SendAsync(client, json);
        return await ReceiveAsync(client);
    }
}
