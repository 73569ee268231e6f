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

    /// <summary>Compression settings used when permessage-deflate was negotiated.</summary>
    public PerMessageDeflateOptions Deflate { get; init; } = new();

    /// <summary>Shared default instance.</summary>
    public static WebSocketCodecOptions Default { get; } = new();
}
