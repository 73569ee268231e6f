using ActorSocket.Protocol.Deflate;

namespace ActorSocket.Protocol;

/// <summary>Limits and choices for one <see cref="WebSocketCodec"/>.</summary>
public sealed record WebSocketCodecOptions
{
    /// <summary>The default <see cref="MaxMessageSize"/>: 1 MiB, the websockets library's default.</summary>
    public const int DefaultMaxMessageSize = 1024 * 1024;

    /// <summary>
    /// Largest message accepted, in bytes after decompression. A message of exactly this size is
    /// accepted; one byte more fails the connection with 1009. Checked from frame headers before
    /// anything is buffered.
    /// </summary>
    public int MaxMessageSize { get; init; } = DefaultMaxMessageSize;

    /// <summary>
    /// Whether the codec writes the closing handshake's close frame by itself: the echo of the peer's
    /// close, and the close frame that fails the connection on a violation. True by default. An owner
    /// that still has replies in flight for messages already received (an actor handler) sets it to
    /// false, sends those replies, then calls <see cref="WebSocketCodec.SendClose"/> with
    /// <see cref="WebSocketCodec.PendingCloseCode"/>.
    /// </summary>
    public bool AutoCloseReply { get; init; } = true;

    /// <summary>Compression settings used when permessage-deflate was negotiated.</summary>
    public PerMessageDeflateOptions Deflate { get; init; } = new();

    /// <summary>Shared default instance.</summary>
    public static WebSocketCodecOptions Default { get; } = new();
}
