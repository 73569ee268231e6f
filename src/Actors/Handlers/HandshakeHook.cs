using System.Net;
using ActorSocket.Protocol.Http;

namespace ActorSocket.Actors.Handlers;

/// <summary>
/// Decides, before a WebSocket is accepted, whether it may be (the websockets FAQ's
/// <c>process_request</c>): authentication, origin checks, rate limits. Runs after the request passed
/// RFC 6455 validation; several hooks run in order and the first refusal wins.
/// </summary>
/// <remarks>Called concurrently for different connections; keep it thread-safe. It may be async (a token lookup).</remarks>
public interface IHandshakeHook
{
    /// <summary>Accepts (optionally with an identity and a subprotocol) or refuses with any response.</summary>
    ValueTask<HandshakeVerdict> DecideAsync(HandshakeContext context, CancellationToken cancellationToken);
}

/// <summary>What a handshake hook sees.</summary>
/// <param name="Request">The parsed request: path, query, headers, cookies.</param>
/// <param name="RemoteEndPoint">The client's address: the socket peer, or the client named by
/// <c>X-Forwarded-For</c> when the peer is a trusted proxy.</param>
/// <param name="Proposed">What the server would agree to (subprotocol, compression).</param>
/// <param name="Identity">The identity an earlier hook attached, or null.</param>
public sealed record HandshakeContext(HttpRequest Request, IPEndPoint? RemoteEndPoint, HandshakeDecision Proposed, object? Identity);

/// <summary>A hook's answer.</summary>
public sealed record HandshakeVerdict
{
    private HandshakeVerdict(HttpResponse? refusal, object? identity, string? subProtocol)
    {
        Refusal = refusal;
        Identity = identity;
        SubProtocol = subProtocol;
    }

    /// <summary>The response that refuses the connection; null when it is accepted.</summary>
    public HttpResponse? Refusal { get; }

    /// <summary>Who the client is, handed to the handler in <c>ConnectionInfo.Identity</c>.</summary>
    public object? Identity { get; }

    /// <summary>A subprotocol chosen by the hook (one the client offered), or null to keep the server's choice.</summary>
    public string? SubProtocol { get; }

    /// <summary>Go on, unchanged.</summary>
    public static HandshakeVerdict Continue { get; } = new(null, null, null);

    /// <summary>Accept, attaching <paramref name="identity"/> and optionally choosing a subprotocol.</summary>
    public static HandshakeVerdict Accept(object? identity = null, string? subProtocol = null) => new(null, identity, subProtocol);

    /// <summary>Refuse with <paramref name="statusCode"/>, a text body and headers (such as <c>WWW-Authenticate</c>).</summary>
    public static HandshakeVerdict Refuse(int statusCode, string text, IReadOnlyList<KeyValuePair<string, string>>? headers = null) =>
        new(HttpResponse.Text(statusCode, text, headers), null, null);

    /// <summary>Refuse with a response built by the caller.</summary>
    public static HandshakeVerdict Refuse(HttpResponse response) => new(response, null, null);
}
