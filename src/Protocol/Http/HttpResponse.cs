using System.Buffers;
using System.Globalization;
using System.Text;

namespace ActorSocket.Protocol.Http;

/// <summary>
/// An HTTP/1.1 response as a value: the 101 that accepts a handshake, an error that refuses one,
/// or the answer of a plain HTTP route. A hook may inspect or replace it before it is written.
/// </summary>
/// <remarks>Immutable; safe to share.</remarks>
public sealed class HttpResponse
{
    /// <summary>Creates a response.</summary>
    /// <param name="statusCode">The status code, 100-599.</param>
    /// <param name="headers">Header lines in order (Content-Length is added when writing).</param>
    /// <param name="body">The body; must be empty for 101.</param>
    /// <param name="reasonPhrase">The reason phrase; the standard one when null.</param>
    public HttpResponse(int statusCode, IReadOnlyList<KeyValuePair<string, string>>? headers = null, ReadOnlyMemory<byte> body = default, string? reasonPhrase = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(statusCode, 100);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(statusCode, 599);
        StatusCode = statusCode;
        Headers = headers ?? [];
        Body = body;
        ReasonPhrase = reasonPhrase ?? StandardReason(statusCode);
        foreach (KeyValuePair<string, string> header in Headers)
        {
            if (!HttpTokens.IsToken(header.Key) || header.Value.AsSpan().IndexOfAny('\r', '\n') >= 0)
            {
                throw new ArgumentException("Header " + header.Key + " is not a valid header line.", nameof(headers));
            }
        }
    }

    /// <summary>The status code.</summary>
    public int StatusCode { get; }

    /// <summary>The reason phrase of the status line.</summary>
    public string ReasonPhrase { get; }

    /// <summary>Header lines in order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    /// <summary>The body bytes.</summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>A <c>text/plain</c> response; <paramref name="text"/> gets a trailing newline.</summary>
    public static HttpResponse Text(int statusCode, string text, IReadOnlyList<KeyValuePair<string, string>>? headers = null)
    {
        var all = new List<KeyValuePair<string, string>> { new("Content-Type", "text/plain; charset=utf-8") };
        if (headers is not null)
        {
            all.AddRange(headers);
        }

        return new HttpResponse(statusCode, all, Encoding.UTF8.GetBytes(text + "\n"));
    }

    /// <summary>A copy of this response with one more header line.</summary>
    public HttpResponse WithHeader(string name, string value) =>
        new(StatusCode, [.. Headers, new KeyValuePair<string, string>(name, value)], Body, ReasonPhrase);

    /// <summary>The first value of header <paramref name="name"/> (case-insensitive), or null.</summary>
    public string? GetHeader(string name)
    {
        foreach (KeyValuePair<string, string> header in Headers)
        {
            if (string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                return header.Value;
            }
        }

        return null;
    }

    /// <summary>
    /// Writes the status line, the headers (with <c>Content-Length</c> unless the status is 1xx or
    /// 204) and the body; returns the number of bytes written.
    /// </summary>
    public int WriteTo(IBufferWriter<byte> writer)
    {
        var head = new StringBuilder(128);
        head.Append("HTTP/1.1 ").Append(StatusCode.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(ReasonPhrase).Append("\r\n");
        bool hasLength = false;
        foreach (KeyValuePair<string, string> header in Headers)
        {
            hasLength |= string.Equals(header.Key, "Content-Length", StringComparison.OrdinalIgnoreCase);
            head.Append(header.Key).Append(": ").Append(header.Value).Append("\r\n");
        }

        if (!hasLength && StatusCode >= 200 && StatusCode != 204)
        {
            head.Append("Content-Length: ").Append(Body.Length.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        }

        head.Append("\r\n");
        int headLength = Encoding.Latin1.GetByteCount(head.ToString());
        Span<byte> span = writer.GetSpan(headLength + Body.Length);
        Encoding.Latin1.GetBytes(head.ToString(), span);
        Body.Span.CopyTo(span[headLength..]);
        writer.Advance(headLength + Body.Length);
        return headLength + Body.Length;
    }

    /// <summary>The response as bytes.</summary>
    public byte[] ToBytes()
    {
        var writer = new ArrayBufferWriter<byte>();
        WriteTo(writer);
        return writer.WrittenSpan.ToArray();
    }

    /// <inheritdoc />
    public override string ToString() => StatusCode.ToString(CultureInfo.InvariantCulture) + " " + ReasonPhrase;

    private static string StandardReason(int statusCode) => statusCode switch
    {
        101 => "Switching Protocols",
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Status " + statusCode.ToString(CultureInfo.InvariantCulture),
    };
}
