namespace ActorSocket.Protocol.Deflate;

/// <summary>Server-side settings for RFC 7692 permessage-deflate.</summary>
public sealed record PerMessageDeflateOptions
{
    /// <summary>Whether the server accepts permessage-deflate offers. On by default, as in websockets.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>
    /// zlib level 0-9 for outgoing messages. Default 1: realtime messages are small and latency
    /// matters more than the last percent of ratio.
    /// </summary>
    public int CompressionLevel { get; init; } = 1;

    /// <summary>
    /// Outgoing messages shorter than this are sent uncompressed (RFC 7692 lets the sender choose per
    /// message). Default 64 bytes: below that deflate rarely saves a byte and always costs CPU.
    /// </summary>
    public int MinimumSize { get; init; } = 64;
}
