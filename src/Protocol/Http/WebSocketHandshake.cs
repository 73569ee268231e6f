using System.Security.Cryptography;
using System.Text;
using ActorSocket.Protocol.Deflate;

namespace ActorSocket.Protocol.Http;

/// <summary>
/// The server side of the opening handshake (RFC 6455 4.2) as pure functions: validate a request,
/// then accept or reject it. Nothing here performs I/O.
/// </summary>
public static class WebSocketHandshake
{
    /// <summary>RFC 6455 1.3: the GUID appended to the key before hashing.</summary>
    public const string KeyGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>The only protocol version defined (RFC 6455 4.1).</summary>
    public const string SupportedVersion = "13";

    /// <summary>RFC 6455 4.2.2: base64(SHA-1(key + GUID)), the <c>Sec-WebSocket-Accept</c> value.</summary>
    public static string ComputeAccept(string key)
    {
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(Encoding.ASCII.GetBytes(key + KeyGuid), hash);
        return Convert.ToBase64String(hash);
    }

    /// <summary>
    /// Checks <paramref name="request"/> against RFC 6455 4.2.1; null when it is a valid opening
    /// handshake, otherwise the response that refuses it: 426 for a request that is no upgrade at all
    /// or asks for another version, 400 for a malformed one.
    /// </summary>
    public static HttpResponse? Validate(HttpRequest request)
    {
        // RFC 6455 4.2.1 (2): "An |Upgrade| header field containing the value "websocket"" and
        // (3): "A |Connection| header field that includes the token "Upgrade"". Without them this is
        // a plain request to a WebSocket route.
        bool connectionUpgrade = false;
        foreach (string value in request.GetHeaderValues("Connection"))
        {
            connectionUpgrade |= HttpTokens.ListContains(value, "upgrade");
        }

        if (!request.IsWebSocketUpgrade || !connectionUpgrade)
        {
            return HttpResponse.Text(426, "this route speaks WebSocket: send an upgrade request", UpgradeHeaders);
        }

        // RFC 6455 4.2.1 (1): "An HTTP/1.1 or higher GET request".
        if (request.Method != "GET")
        {
            return HttpResponse.Text(400, "a WebSocket handshake must use GET");
        }

        if (request.Version != "HTTP/1.1")
        {
            return HttpResponse.Text(400, "a WebSocket handshake needs HTTP/1.1");
        }

        // An opening handshake has no body (RFC 6455 4.1: the client's handshake is a GET, and the
        // bytes after the head are frames). A request that announces one would have its body read
        // as frames, and a proxy in front may disagree about where the request ends (smuggling):
        // refused, as Kestrel does.
        if (request.CountHeader("Transfer-Encoding") > 0)
        {
            return HttpResponse.Text(400, "a WebSocket handshake has no body (Transfer-Encoding)");
        }

        if (request.CountHeader("Content-Length") > 0 && !(request.CountHeader("Content-Length") == 1 && request.GetHeader("Content-Length") == "0"))
        {
            return HttpResponse.Text(400, "a WebSocket handshake has no body (Content-Length)");
        }

        // RFC 6455 4.2.1 (5): "A |Sec-WebSocket-Key| header field with a base64-encoded value that,
        // when decoded, is 16 bytes in length."
        if (request.CountHeader("Sec-WebSocket-Key") != 1 || !IsValidKey(request.GetHeader("Sec-WebSocket-Key")!))
        {
            return HttpResponse.Text(400, "missing or malformed Sec-WebSocket-Key");
        }

        // RFC 6455 4.2.2: a version the server does not speak gets 426 and the versions it does.
        string? version = request.GetHeader("Sec-WebSocket-Version");
        if (version is null)
        {
            return HttpResponse.Text(400, "missing Sec-WebSocket-Version");
        }

        if (request.CountHeader("Sec-WebSocket-Version") != 1 || version != SupportedVersion)
        {
            return HttpResponse.Text(426, "unsupported WebSocket version", [new("Sec-WebSocket-Version", SupportedVersion)]);
        }

        return null;
    }

    /// <summary>
    /// Validates <paramref name="request"/>, negotiates subprotocol and compression under
    /// <paramref name="options"/>, and returns either the 101 that accepts it or the refusal.
    /// </summary>
    public static HandshakeDecision Decide(HttpRequest request, HandshakeOptions? options = null)
    {
        options ??= HandshakeOptions.Default;
        HttpResponse? refusal = Validate(request);
        if (refusal is not null)
        {
            return new HandshakeDecision(refusal, null, null);
        }

        string? subProtocol = SelectSubProtocol(request.SubProtocols, options.SubProtocols);
        PerMessageDeflateParameters? deflate = PerMessageDeflateParameters.Negotiate(request.Extensions, options.Deflate);
        return Accept(request, subProtocol, deflate, options.ExtraHeaders);
    }

    /// <summary>The 101 response accepting <paramref name="request"/> with what was agreed.</summary>
    public static HandshakeDecision Accept(HttpRequest request, string? subProtocol, PerMessageDeflateParameters? deflate, IReadOnlyList<KeyValuePair<string, string>>? extraHeaders = null)
    {
        var headers = new List<KeyValuePair<string, string>>
        {
            new("Upgrade", "websocket"),
            new("Connection", "Upgrade"),
            new("Sec-WebSocket-Accept", ComputeAccept(request.GetHeader("Sec-WebSocket-Key") ?? throw new ArgumentException("The request has no Sec-WebSocket-Key.", nameof(request)))),
        };
        if (subProtocol is not null)
        {
            headers.Add(new("Sec-WebSocket-Protocol", subProtocol));
        }

        if (deflate is not null)
        {
            headers.Add(new("Sec-WebSocket-Extensions", deflate.ToResponseHeader()));
        }

        if (extraHeaders is not null)
        {
            headers.AddRange(extraHeaders);
        }

        return new HandshakeDecision(new HttpResponse(101, headers), subProtocol, deflate);
    }

    /// <summary>A refusal with <paramref name="statusCode"/>, a text body and optional headers (such as <c>WWW-Authenticate</c>).</summary>
    public static HandshakeDecision Reject(int statusCode, string text, IReadOnlyList<KeyValuePair<string, string>>? headers = null)
    {
        if (statusCode == 101)
        {
            throw new ArgumentOutOfRangeException(nameof(statusCode), "A rejection cannot be a 101.");
        }

        return new HandshakeDecision(HttpResponse.Text(statusCode, text, headers), null, null);
    }

    private static IReadOnlyList<KeyValuePair<string, string>> UpgradeHeaders { get; } =
        [new("Upgrade", "websocket"), new("Sec-WebSocket-Version", SupportedVersion)];

    private static string? SelectSubProtocol(IReadOnlyList<string> offered, IReadOnlyList<string> supported)
    {
        foreach (string candidate in supported)
        {
            foreach (string offer in offered)
            {
                if (string.Equals(candidate, offer, StringComparison.Ordinal))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    private static bool IsValidKey(string key)
    {
        Span<byte> decoded = stackalloc byte[18];
        return key.Length == 24 && Convert.TryFromBase64String(key, decoded, out int written) && written == 16;
    }
}
