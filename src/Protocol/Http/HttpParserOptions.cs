namespace ActorSocket.Protocol.Http;

/// <summary>Bounds for <see cref="HttpRequestParser"/>.</summary>
public sealed record HttpParserOptions
{
    /// <summary>
    /// Largest request head (request line and headers, with the blank line) in bytes. Default 8 KiB:
    /// what nginx and Kestrel's request line allow, and far above any browser handshake.
    /// </summary>
    public int MaxHeadBytes { get; init; } = 8 * 1024;

    /// <summary>Most header lines accepted. Default 100, as in Kestrel and websockets.</summary>
    public int MaxHeaders { get; init; } = 100;

    /// <summary>Shared default instance.</summary>
    public static HttpParserOptions Default { get; } = new();
}
