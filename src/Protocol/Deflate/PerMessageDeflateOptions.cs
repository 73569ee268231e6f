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

    /// <summary>
    /// Whether the server keeps its compressor's history between messages when the client allows
    /// it. Off by default: the server answers every offer with <c>server_no_context_takeover</c>
    /// (RFC 7692 7.1.1.1 lets it), so a connection holds no compressor (zlib's state is about
    /// 256 KiB) and one compressor per thread serves all connections. The price is ratio on
    /// streams of small similar messages, which can no longer refer to earlier ones.
    /// </summary>
    public bool ServerContextTakeover { get; init; }

    /// <summary>
    /// The largest LZ77 window (log2, 8-15) the server lets a client compress with, when the client
    /// offers <c>client_max_window_bits</c> (browsers, websockets and ws do): the server keeps that
    /// many bytes of history per connection to decompress. 12 (4 KiB), as websockets: against 32 KiB
    /// at 15, for a few percent of the client's ratio.
    /// </summary>
    public int ClientMaxWindowBits { get; init; } = 12;
}
