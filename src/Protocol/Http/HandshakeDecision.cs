using ActorSocket.Protocol.Deflate;

namespace ActorSocket.Protocol.Http;

/// <summary>
/// The outcome of a handshake as a value: the response to write and, when it is a 101, what was
/// agreed. A handshake hook may inspect it and return another one.
/// </summary>
/// <param name="Response">The response to send: 101, or the refusal.</param>
/// <param name="SubProtocol">The subprotocol agreed, or null.</param>
/// <param name="Deflate">The permessage-deflate parameters agreed, or null for none.</param>
public sealed record HandshakeDecision(HttpResponse Response, string? SubProtocol, PerMessageDeflateParameters? Deflate)
{
    /// <summary>Whether the connection becomes a WebSocket (status 101).</summary>
    public bool IsAccepted => Response.StatusCode == 101;
}
