using System.Buffers;
using System.Text;

namespace ActorSocket.Protocol.Http;

/// <summary>
/// Incremental HTTP/1.1 request-head parser (RFC 9112 2-5): call it with everything received so
/// far; it consumes nothing until the whole head has arrived.
/// </summary>
public static class HttpRequestParser
{
    private static ReadOnlySpan<byte> EndOfHead => "\r\n\r\n"u8;

    /// <summary>
    /// The length of the body that follows <paramref name="request"/>'s head (RFC 9112 6.3), for a
    /// route that takes at most <paramref name="maxBytes"/>: 0 when it has none. Null, with the
    /// answer to send before closing, when its framing is refused: <c>400</c> for a malformed or
    /// conflicting <c>Content-Length</c>, <c>411</c> for a transfer coding (chunked bodies are not
    /// taken: send <c>Content-Length</c>), <c>413</c> past <paramref name="maxBytes"/>.
    /// </summary>
    /// <param name="request">The parsed head.</param>
    /// <param name="maxBytes">The largest body the route takes (0: none).</param>
    /// <param name="error">The refusal, when null is returned.</param>
    public static int? BodyLength(HttpRequest request, int maxBytes, out HttpResponse? error)
    {
        ArgumentNullException.ThrowIfNull(request);
        error = null;
        if (request.CountHeader("Transfer-Encoding") > 0)
        {
            error = HttpResponse.Text(411, "send the body with Content-Length; transfer codings (chunked) are not taken");
            return null;
        }

        long length = -1;
        foreach (string value in request.GetHeaderValues("Content-Length"))
        {
            // RFC 9110 8.6: a list of identical values may be taken as one; anything else is invalid.
            foreach (string item in value.Split(','))
            {
                string digits = item.Trim();
                if (digits.Length is 0 or > 18 || !digits.All(char.IsAsciiDigit))
                {
                    error = HttpResponse.Text(400, "invalid Content-Length");
                    return null;
                }

                long parsed = long.Parse(digits, System.Globalization.CultureInfo.InvariantCulture);
                if (length >= 0 && parsed != length)
                {
                    error = HttpResponse.Text(400, "conflicting Content-Length values");
                    return null;
                }

                length = parsed;
            }
        }

        if (length <= 0)
        {
            return 0;
        }

        if (length > maxBytes)
        {
            error = HttpResponse.Text(413, maxBytes == 0 ? "this route takes no body" : "the body is larger than " + maxBytes + " bytes");
            return null;
        }

        return (int)length;
    }

    /// <summary>
    /// Parses a request head from the start of <paramref name="buffer"/>. On
    /// <see cref="HttpParseStatus.Complete"/>, <paramref name="buffer"/> is advanced past the head
    /// (what follows, such as the first WebSocket frames, stays); otherwise it is unchanged.
    /// </summary>
    /// <param name="buffer">Bytes received so far.</param>
    /// <param name="options">Size bounds; <see cref="HttpParserOptions.Default"/> when null.</param>
    /// <param name="request">The request, on <see cref="HttpParseStatus.Complete"/>.</param>
    /// <param name="error">The response to send before closing, on <see cref="HttpParseStatus.Invalid"/>
    /// (400, 431 or 505).</param>
    public static HttpParseStatus TryParse(ref ReadOnlySequence<byte> buffer, HttpParserOptions? options, out HttpRequest? request, out HttpResponse? error)
    {
        options ??= HttpParserOptions.Default;
        int consumed;
        HttpParseStatus status;
        if (buffer.IsSingleSegment)
        {
            status = TryParse(buffer.FirstSpan, options, out request, out error, out consumed);
        }
        else
        {
            // Only the first MaxHeadBytes can hold an acceptable head.
            int length = (int)Math.Min(buffer.Length, options.MaxHeadBytes);
            byte[] rented = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                buffer.Slice(0, length).CopyTo(rented);
                status = TryParse(rented.AsSpan(0, length), options, out request, out error, out consumed);
                if (status == HttpParseStatus.Incomplete && buffer.Length >= options.MaxHeadBytes)
                {
                    status = HttpParseStatus.Invalid;
                    error = TooLarge(options);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        if (status == HttpParseStatus.Complete)
        {
            buffer = buffer.Slice(consumed);
        }

        return status;
    }

    /// <summary>
    /// Parses a request head from the start of <paramref name="data"/>; on
    /// <see cref="HttpParseStatus.Complete"/>, <paramref name="consumed"/> is the head's length.
    /// </summary>
    /// <param name="data">Bytes received so far.</param>
    /// <param name="options">Size bounds; <see cref="HttpParserOptions.Default"/> when null.</param>
    /// <param name="request">The request, when complete.</param>
    /// <param name="error">The response to send before closing, when invalid (400, 431 or 505).</param>
    /// <param name="consumed">Bytes the head took, when complete; otherwise 0.</param>
    public static HttpParseStatus TryParse(ReadOnlySpan<byte> data, HttpParserOptions? options, out HttpRequest? request, out HttpResponse? error, out int consumed)
    {
        options ??= HttpParserOptions.Default;
        request = null;
        error = null;
        consumed = 0;
        ReadOnlySpan<byte> window = data.Length > options.MaxHeadBytes ? data[..options.MaxHeadBytes] : data;
        int end = window.IndexOf(EndOfHead);

        // RFC 9112 2.2 lets a recipient accept a bare LF as a line end; this server does not (as
        // websockets): a head with one is answered 400 at once, instead of leaving the client to
        // wait for a CRLF CRLF that will never come.
        if (HasBareLineFeed(end < 0 ? window : window[..end]))
        {
            error = HttpResponse.Text(400, "request lines must end with CRLF");
            return HttpParseStatus.Invalid;
        }

        if (end < 0)
        {
            if (data.Length >= options.MaxHeadBytes)
            {
                error = TooLarge(options);
                return HttpParseStatus.Invalid;
            }

            return HttpParseStatus.Incomplete;
        }

        if (!TryParseHead(data[..end], options, out request, out error))
        {
            return HttpParseStatus.Invalid;
        }

        consumed = end + EndOfHead.Length;
        return HttpParseStatus.Complete;
    }

    private static bool HasBareLineFeed(ReadOnlySpan<byte> head)
    {
        int offset = 0;
        while (true)
        {
            int lf = head[offset..].IndexOf((byte)'\n');
            if (lf < 0)
            {
                return false;
            }

            lf += offset;
            if (lf == 0 || head[lf - 1] != '\r')
            {
                return true;
            }

            offset = lf + 1;
        }
    }

    private static HttpResponse TooLarge(HttpParserOptions options) =>
        HttpResponse.Text(431, "request head larger than " + options.MaxHeadBytes + " bytes");

    private static bool TryParseHead(ReadOnlySpan<byte> head, HttpParserOptions options, out HttpRequest? request, out HttpResponse? error)
    {
        request = null;
        int lineEnd = head.IndexOf("\r\n"u8);
        ReadOnlySpan<byte> requestLine = lineEnd < 0 ? head : head[..lineEnd];
        ReadOnlySpan<byte> rest = lineEnd < 0 ? default : head[(lineEnd + 2)..];

        if (!TryParseRequestLine(requestLine, out string method, out string target, out string version, out error))
        {
            return false;
        }

        var headers = new List<KeyValuePair<string, string>>();
        while (!rest.IsEmpty)
        {
            lineEnd = rest.IndexOf("\r\n"u8);
            ReadOnlySpan<byte> line = lineEnd < 0 ? rest : rest[..lineEnd];
            rest = lineEnd < 0 ? default : rest[(lineEnd + 2)..];
            if (headers.Count == options.MaxHeaders)
            {
                error = HttpResponse.Text(431, "more than " + options.MaxHeaders + " headers");
                return false;
            }

            if (!TryParseHeader(line, out KeyValuePair<string, string> header, out string? problem))
            {
                error = HttpResponse.Text(400, problem!);
                return false;
            }

            headers.Add(header);
        }

        request = new HttpRequest(method, target, version, headers);
        // RFC 9112 3.2: "A server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1
        // request message that lacks a Host header field and to any request message that contains
        // more than one Host header field line".
        int hosts = request.CountHeader("Host");
        if (hosts > 1 || (hosts == 0 && version == "HTTP/1.1"))
        {
            request = null;
            error = HttpResponse.Text(400, hosts == 0 ? "missing Host header" : "more than one Host header");
            return false;
        }

        return true;
    }

    private static bool TryParseRequestLine(ReadOnlySpan<byte> line, out string method, out string target, out string version, out HttpResponse? error)
    {
        method = target = version = string.Empty;
        error = null;
        // RFC 9112 3: request-line = method SP request-target SP HTTP-version
        int firstSpace = line.IndexOf((byte)' ');
        int secondSpace = firstSpace < 0 ? -1 : line[(firstSpace + 1)..].IndexOf((byte)' ');
        if (firstSpace <= 0 || secondSpace <= 0)
        {
            error = HttpResponse.Text(400, "malformed request line");
            return false;
        }

        secondSpace += firstSpace + 1;
        ReadOnlySpan<byte> methodBytes = line[..firstSpace];
        ReadOnlySpan<byte> targetBytes = line[(firstSpace + 1)..secondSpace];
        ReadOnlySpan<byte> versionBytes = line[(secondSpace + 1)..];
        foreach (byte b in methodBytes)
        {
            if (!HttpTokens.IsTokenChar(b))
            {
                error = HttpResponse.Text(400, "malformed method");
                return false;
            }
        }

        foreach (byte b in targetBytes)
        {
            if (b is <= 0x20 or >= 0x7F)
            {
                error = HttpResponse.Text(400, "malformed request target");
                return false;
            }
        }

        if (versionBytes.Length != 8 || !versionBytes.StartsWith("HTTP/"u8) || !char.IsAsciiDigit((char)versionBytes[5])
            || versionBytes[6] != '.' || !char.IsAsciiDigit((char)versionBytes[7]))
        {
            error = HttpResponse.Text(400, "malformed HTTP version");
            return false;
        }

        if (versionBytes[5] != '1')
        {
            error = HttpResponse.Text(505, "only HTTP/1.x is served here");
            return false;
        }

        method = methodBytes.SequenceEqual("GET"u8) ? "GET" : Encoding.ASCII.GetString(methodBytes);
        version = versionBytes.SequenceEqual("HTTP/1.1"u8) ? "HTTP/1.1" : Encoding.ASCII.GetString(versionBytes);
        target = Encoding.ASCII.GetString(targetBytes);
        if (target[0] != '/')
        {
            // RFC 9112 3.2.2: absolute-form is accepted; the authority is dropped.
            int scheme = target.IndexOf("://", StringComparison.Ordinal);
            if (scheme <= 0 || !(target.StartsWith("http", StringComparison.OrdinalIgnoreCase) || target.StartsWith("ws", StringComparison.OrdinalIgnoreCase)))
            {
                error = HttpResponse.Text(400, "request target must be a path");
                return false;
            }

            int path = target.IndexOfAny(['/', '?'], scheme + 3);
            target = path < 0 ? "/" : target[path] == '?' ? "/" + target[path..] : target[path..];
        }

        return true;
    }

    private static bool TryParseHeader(ReadOnlySpan<byte> line, out KeyValuePair<string, string> header, out string? problem)
    {
        header = default;
        problem = null;
        if (line.IsEmpty || line[0] is (byte)' ' or (byte)'\t')
        {
            // RFC 9112 5.2: obsolete line folding is rejected with 400.
            problem = "folded or empty header line";
            return false;
        }

        int colon = line.IndexOf((byte)':');
        if (colon <= 0)
        {
            problem = "header line without a name";
            return false;
        }

        ReadOnlySpan<byte> name = line[..colon];
        foreach (byte b in name)
        {
            // RFC 9112 5.1: "No whitespace is allowed between the field name and colon."
            if (!HttpTokens.IsTokenChar(b))
            {
                problem = "malformed header name";
                return false;
            }
        }

        ReadOnlySpan<byte> value = line[(colon + 1)..].Trim(" \t"u8);
        foreach (byte b in value)
        {
            // RFC 9110 5.5: field values are visible characters, spaces, tabs and obs-text.
            if (b is < 0x20 and not (byte)'\t' or 0x7F)
            {
                problem = "control character in header value";
                return false;
            }
        }

        header = new KeyValuePair<string, string>(Encoding.ASCII.GetString(name), Encoding.Latin1.GetString(value));
        return true;
    }
}
