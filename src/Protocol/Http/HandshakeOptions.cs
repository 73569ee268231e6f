using ActorSocket.Protocol.Deflate;

namespace ActorSocket.Protocol.Http;

/// <summary>What the server is willing to agree to in a WebSocket handshake.</summary>
public sealed record HandshakeOptions
{
    /// <summary>
    /// Subprotocols the route supports, in the server's order of preference. The first of these that
    /// the client offers is chosen (as in websockets); none is chosen when the lists do not meet.
    /// </summary>
    public IReadOnlyList<string> SubProtocols { get; init; } = [];

    /// <summary>permessage-deflate settings.</summary>
    public PerMessageDeflateOptions Deflate { get; init; } = new();

    /// <summary>Extra headers for the 101 response (such as <c>Set-Cookie</c>).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ExtraHeaders { get; init; } = [];

    /// <summary>Shared default instance.</summary>
    public static HandshakeOptions Default { get; } = new();
}
