using System.Buffers;
using System.Text;
using ActorSocket.Protocol.Http;

namespace ActorSocket.Protocol.Tests;

public class HttpRequestParserTests
{
    // RFC 6455 1.3: the handshake example.
    internal const string Rfc6455Example =
        "GET /chat HTTP/1.1\r\n" +
        "Host: server.example.com\r\n" +
        "Upgrade: websocket\r\n" +
        "Connection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
        "Origin: http://example.com\r\n" +
        "Sec-WebSocket-Protocol: chat, superchat\r\n" +
        "Sec-WebSocket-Version: 13\r\n" +
        "\r\n";

    internal static HttpRequest Parse(string head)
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(head));
        Assert.Equal(HttpParseStatus.Complete, HttpRequestParser.TryParse(ref buffer, null, out HttpRequest? request, out HttpResponse? error));
        Assert.Null(error);
        return request!;
    }

    private static HttpResponse ParseError(string head, HttpParserOptions? options = null)
    {
        byte[] bytes = Encoding.Latin1.GetBytes(head);
        Assert.Equal(HttpParseStatus.Invalid, HttpRequestParser.TryParse(bytes, options, out _, out HttpResponse? error, out _));
        return error!;
    }

    [Fact]
    public void Parses_the_RFC_6455_handshake_example()
    {
        HttpRequest request = Parse(Rfc6455Example);
        Assert.Equal("GET", request.Method);
        Assert.Equal("/chat", request.Path);
        Assert.Equal("HTTP/1.1", request.Version);
        Assert.Equal("server.example.com", request.Host);
        Assert.Equal("http://example.com", request.Origin);
        Assert.Equal(["chat", "superchat"], request.SubProtocols);
        Assert.True(request.IsWebSocketUpgrade);
        Assert.Equal(8 - 1, request.Headers.Count);
    }

    [Fact]
    public void Consumes_nothing_on_every_proper_prefix()
    {
        byte[] bytes = Encoding.ASCII.GetBytes(Rfc6455Example);
        for (int length = 0; length < bytes.Length; length++)
        {
            var buffer = new ReadOnlySequence<byte>(bytes, 0, length);
            Assert.Equal(HttpParseStatus.Incomplete, HttpRequestParser.TryParse(ref buffer, null, out _, out _));
            Assert.Equal(length, buffer.Length);
        }
    }

    [Fact]
    public void Parses_a_head_split_over_many_segments_and_leaves_what_follows()
    {
        byte[] bytes = Encoding.ASCII.GetBytes(Rfc6455Example + "FRAMES");
        ReadOnlySequence<byte> buffer = Segments.Of(bytes, 7);
        Assert.Equal(HttpParseStatus.Complete, HttpRequestParser.TryParse(ref buffer, null, out HttpRequest? request, out _));
        Assert.Equal("/chat", request!.Path);
        Assert.Equal("FRAMES", Encoding.ASCII.GetString(buffer.ToArray()));
    }

    [Fact]
    public void Exposes_query_cookies_and_repeated_headers()
    {
        HttpRequest request = Parse(
            "GET /echo?room=lobby&name=J%C3%BCrgen+K&room=ignored HTTP/1.1\r\nHost: h\r\n" +
            "Cookie: session=abc; theme=\"dark\"\r\nCookie: extra=1\r\nX-Many: a\r\nx-many: b\r\n\r\n");
        Assert.Equal("/echo", request.Path);
        Assert.Equal("lobby", request.Query["room"]);
        Assert.Equal("Jürgen K", request.Query["name"]);
        Assert.Equal("abc", request.Cookies["session"]);
        Assert.Equal("dark", request.Cookies["theme"]);
        Assert.Equal("1", request.Cookies["extra"]);
        Assert.Equal(["a", "b"], request.GetHeaderValues("X-MANY"));
    }

    [Fact]
    public void Absolute_form_targets_keep_only_path_and_query()
    {
        Assert.Equal("/a/b?x=1", Parse("GET http://example.com:80/a/b?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n").Target);
        Assert.Equal("/", Parse("GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n").Target);
    }

    [Theory]
    [InlineData("GET /chat\r\nHost: h\r\n\r\n", 400)]
    [InlineData("GET  /chat HTTP/1.1\r\nHost: h\r\n\r\n", 400)]
    [InlineData("G(T /chat HTTP/1.1\r\nHost: h\r\n\r\n", 400)]
    [InlineData("GET chat HTTP/1.1\r\nHost: h\r\n\r\n", 400)]
    [InlineData("GET /chat HTTP/1.1x\r\nHost: h\r\n\r\n", 400)]
    [InlineData("GET /chat HTTP/2.0\r\nHost: h\r\n\r\n", 505)]
    [InlineData("GET /chat HTTP/1.1\r\n\r\n", 400)]
    [InlineData("GET /chat HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400)]
    [InlineData("GET /chat HTTP/1.1\r\nHost : h\r\n\r\n", 400)]
    [InlineData("GET /chat HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n", 400)]
    [InlineData("GET /chat HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", 400)]
    [InlineData("GET /chat HTTP/1.1\r\nHost: h\r\nX: a\u0000b\r\n\r\n", 400)]
    [InlineData("GET /chat HTTP/1.1\r\nHost: h\nX: y\r\n\r\n", 400)]
    public void Malformed_requests_are_refused_with_a_status(string head, int status)
    {
        HttpResponse error = ParseError(head);
        Assert.Equal(status, error.StatusCode);
        Assert.False(error.Body.IsEmpty);
    }

    [Theory]
    [InlineData("GET /chat HTTP/1.1\nHost: h\n\n")]
    [InlineData("GET /chat HTTP/1.1\nHost: h\n")] // not even complete: answered at once
    [InlineData("GET /chat HTTP/1.1\r\nHost: h\n\r\n")]
    [InlineData("GET /chat HTTP/1.1\r\nHost: h\r\nX: y\n")]
    public void A_bare_LF_line_end_is_400_at_once(string head)
    {
        HttpResponse error = ParseError(head);
        Assert.Equal(400, error.StatusCode);
        Assert.Contains("CRLF", Encoding.UTF8.GetString(error.Body.Span));
    }

    [Fact]
    public void A_request_printed_for_a_log_shows_no_query_value()
    {
        HttpRequest request = Parse("GET /chat?access_token=s3cret&room=lobby&flag HTTP/1.1\r\nHost: h\r\n\r\n");
        Assert.Equal("GET /chat?access_token=…&room=…&flag HTTP/1.1", request.ToString());
        Assert.Equal("GET /chat HTTP/1.1", Parse("GET /chat HTTP/1.1\r\nHost: h\r\n\r\n").ToString());
    }

    [Fact]
    public void A_head_over_the_size_limit_is_431_even_before_it_ends()
    {
        var options = new HttpParserOptions { MaxHeadBytes = 64 };
        Assert.Equal(431, ParseError("GET /chat HTTP/1.1\r\nHost: h\r\nX-Long: " + new string('a', 64), options).StatusCode);
        Assert.Equal(431, ParseError("GET /chat HTTP/1.1\r\nHost: h\r\nX-Long: " + new string('a', 40) + "\r\n\r\n", options).StatusCode);
    }

    [Fact]
    public void The_default_limit_is_8_KiB()
    {
        string prefix = "GET / HTTP/1.1\r\nHost: h\r\nX: ";
        string fits = prefix + new string('a', 8192 - prefix.Length - 4) + "\r\n\r\n";
        Assert.Equal(8192, fits.Length);
        Parse(fits);
        Assert.Equal(431, ParseError(prefix + new string('a', 8192 - prefix.Length - 3) + "\r\n\r\n").StatusCode);
    }

    [Fact]
    public void More_than_100_headers_is_431()
    {
        var head = new StringBuilder("GET / HTTP/1.1\r\nHost: h\r\n");
        for (int i = 0; i < 99; i++)
        {
            head.Append("X-").Append(i).Append(": v\r\n");
        }

        Parse(head + "\r\n");
        Assert.Equal(431, ParseError(head + "X-Last: v\r\n\r\n").StatusCode);
    }

    [Theory]
    [InlineData("", 100, 0, 0)]
    [InlineData("Content-Length: 0\r\n", 100, 0, 0)]
    [InlineData("Content-Length: 42\r\n", 100, 42, 0)]
    [InlineData("Content-Length: 100\r\n", 100, 100, 0)]
    [InlineData("Content-Length: 42, 42\r\n", 100, 42, 0)]
    [InlineData("Content-Length: 42\r\nContent-Length: 42\r\n", 100, 42, 0)]
    [InlineData("Content-Length: 101\r\n", 100, null, 413)]
    [InlineData("Content-Length: 99999999999999999999\r\n", 100, null, 400)]
    [InlineData("Content-Length: 1\r\n", 0, null, 413)]
    [InlineData("Content-Length: -1\r\n", 100, null, 400)]
    [InlineData("Content-Length: 4 2\r\n", 100, null, 400)]
    [InlineData("Content-Length: +42\r\n", 100, null, 400)]
    [InlineData("Content-Length: 42, 43\r\n", 100, null, 400)]
    [InlineData("Content-Length: 42\r\nContent-Length: 43\r\n", 100, null, 400)]
    [InlineData("Transfer-Encoding: chunked\r\n", 100, null, 411)]
    [InlineData("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", 100, null, 411)]
    public void A_body_is_framed_by_one_valid_content_length_within_the_routes_limit(string headers, int max, int? length, int status)
    {
        HttpRequest request = Parse("POST /api/publish HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n");
        int? framed = HttpRequestParser.BodyLength(request, max, out HttpResponse? error);
        Assert.Equal(length, framed);
        Assert.Equal(status, error?.StatusCode ?? 0);
    }
}

internal sealed class Segments : ReadOnlySequenceSegment<byte>
{
    private Segments(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    /// <summary>A sequence of <paramref name="data"/> cut into segments of <paramref name="size"/> bytes.</summary>
    public static ReadOnlySequence<byte> Of(byte[] data, int size)
    {
        var first = new Segments(data.AsMemory(0, Math.Min(size, data.Length)), 0);
        Segments last = first;
        for (int offset = size; offset < data.Length; offset += size)
        {
            var next = new Segments(data.AsMemory(offset, Math.Min(size, data.Length - offset)), offset);
            last.Next = next;
            last = next;
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

}
