using System.Text;
using ActorSocket.Protocol.Deflate;
using ActorSocket.Protocol.Http;

namespace ActorSocket.Protocol.Tests;

/// <summary>RFC 6455 4.2: the server's opening handshake.</summary>
public class Rfc6455Section4_2_OpeningHandshake
{
    private const string Valid =
        "GET /echo HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

    private static HandshakeDecision Decide(string extraHeaders, string? baseHead = null, HandshakeOptions? options = null) =>
        WebSocketHandshake.Decide(HttpRequestParserTests.Parse((baseHead ?? Valid) + extraHeaders + "\r\n"), options);

    [Fact]
    public void Accepts_the_RFC_example_with_its_accept_value()
    {
        HttpRequest request = HttpRequestParserTests.Parse(HttpRequestParserTests.Rfc6455Example);
        HandshakeDecision decision = WebSocketHandshake.Decide(request, new HandshakeOptions { SubProtocols = ["chat"] });
        Assert.True(decision.IsAccepted);
        // RFC 6455 1.3: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", decision.Response.GetHeader("Sec-WebSocket-Accept"));
        Assert.Equal("chat", decision.SubProtocol);
        string text = Encoding.ASCII.GetString(decision.Response.ToBytes());
        Assert.StartsWith("HTTP/1.1 101 Switching Protocols\r\n", text);
        Assert.Contains("Upgrade: websocket\r\n", text);
        Assert.Contains("Connection: Upgrade\r\n", text);
        Assert.Contains("Sec-WebSocket-Protocol: chat\r\n", text);
        Assert.DoesNotContain("Content-Length", text);
        Assert.EndsWith("\r\n\r\n", text);
    }

    [Theory]
    [InlineData("Upgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n")]
    [InlineData("Upgrade: h2c, websocket\r\nConnection: upgrade\r\n")]
    public void Upgrade_and_Connection_are_case_insensitive_token_lists(string headers)
    {
        const string head = "GET /echo HTTP/1.1\r\nHost: h\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
        Assert.True(Decide(headers, head).IsAccepted);
    }

    [Fact]
    public void A_plain_GET_gets_426_with_the_upgrade_headers()
    {
        HandshakeDecision decision = Decide("", "GET /echo HTTP/1.1\r\nHost: h\r\n");
        Assert.Equal(426, decision.Response.StatusCode);
        Assert.Equal("websocket", decision.Response.GetHeader("Upgrade"));
    }

    [Fact]
    public void Missing_Connection_upgrade_is_426()
    {
        const string head = "GET /echo HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
        Assert.Equal(426, Decide("", head).Response.StatusCode);
    }

    [Theory]
    [InlineData("Sec-WebSocket-Version: 8\r\n")]
    [InlineData("Sec-WebSocket-Version: 14\r\n")]
    public void Another_version_is_426_naming_version_13(string version)
    {
        string head = Valid.Replace("Sec-WebSocket-Version: 13\r\n", version);
        HandshakeDecision decision = Decide("", head);
        Assert.Equal(426, decision.Response.StatusCode);
        Assert.Equal("13", decision.Response.GetHeader("Sec-WebSocket-Version"));
    }

    [Theory]
    [InlineData("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "Sec-WebSocket-Key: c2hvcnQ=\r\n")]
    [InlineData("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "Sec-WebSocket-Key: not base64 at all!!!!!!!\r\n")]
    [InlineData("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "")]
    [InlineData("Sec-WebSocket-Version: 13\r\n", "")]
    [InlineData("GET /echo", "POST /echo")]
    [InlineData("HTTP/1.1\r\nHost: h\r\n", "HTTP/1.0\r\n")]
    public void Malformed_handshakes_are_400(string replace, string with)
    {
        HandshakeDecision decision = Decide("", Valid.Replace(replace, with));
        Assert.Equal(400, decision.Response.StatusCode);
        Assert.False(decision.IsAccepted);
    }

    [Theory]
    [InlineData("Content-Length: 5\r\n")]
    [InlineData("Content-Length: 0\r\nContent-Length: 0\r\n")]
    [InlineData("Transfer-Encoding: chunked\r\n")]
    [InlineData("Transfer-Encoding: identity\r\nContent-Length: 0\r\n")]
    public void An_upgrade_request_with_a_body_is_400(string headers)
    {
        HandshakeDecision decision = Decide(headers);
        Assert.False(decision.IsAccepted);
        Assert.Equal(400, decision.Response.StatusCode);
    }

    [Fact]
    public void An_upgrade_request_announcing_an_empty_body_is_accepted() =>
        Assert.True(Decide("Content-Length: 0\r\n").IsAccepted);

    [Fact]
    public void A_duplicated_key_is_400() =>
        Assert.Equal(400, Decide("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n").Response.StatusCode);

    [Fact]
    public void The_server_chooses_its_preferred_subprotocol_among_those_offered()
    {
        var options = new HandshakeOptions { SubProtocols = ["v2.json", "v1.json"] };
        Assert.Equal("v2.json", Decide("Sec-WebSocket-Protocol: v1.json, v2.json\r\n", options: options).SubProtocol);
        Assert.Null(Decide("Sec-WebSocket-Protocol: other\r\n", options: options).SubProtocol);
        Assert.Null(Decide("Sec-WebSocket-Protocol: other\r\n", options: options).Response.GetHeader("Sec-WebSocket-Protocol"));
    }

    [Fact]
    public void A_rejection_carries_any_status_headers_and_body()
    {
        HandshakeDecision decision = WebSocketHandshake.Reject(401, "token required", [new("WWW-Authenticate", "Bearer")]);
        string text = Encoding.ASCII.GetString(decision.Response.ToBytes());
        Assert.StartsWith("HTTP/1.1 401 Unauthorized\r\n", text);
        Assert.Contains("WWW-Authenticate: Bearer\r\n", text);
        Assert.Contains("Content-Length: 15\r\n", text);
        Assert.EndsWith("token required\n", text);
    }

    [Fact]
    public void Response_headers_cannot_smuggle_lines() =>
        Assert.Throws<ArgumentException>(() => new HttpResponse(200, [new("X", "a\r\nSet-Cookie: evil")]));

    [Fact]
    public void Deflate_is_negotiated_when_offered_and_enabled()
    {
        HandshakeDecision decision = Decide("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n");
        Assert.Equal("permessage-deflate; server_no_context_takeover; client_max_window_bits=12", decision.Response.GetHeader("Sec-WebSocket-Extensions"));
        Assert.NotNull(decision.Deflate);

        var off = new HandshakeOptions { Deflate = new PerMessageDeflateOptions { Enabled = false } };
        HandshakeDecision without = Decide("Sec-WebSocket-Extensions: permessage-deflate\r\n", options: off);
        Assert.Null(without.Deflate);
        Assert.Null(without.Response.GetHeader("Sec-WebSocket-Extensions"));
    }
}
