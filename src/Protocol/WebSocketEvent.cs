namespace ActorSocket.Protocol;

/// <summary>What a <see cref="WebSocketEvent"/> reports.</summary>
public enum WebSocketEventKind
{
    /// <summary>A complete text message; the payload is valid UTF-8.</summary>
    Text,

    /// <summary>A complete binary message.</summary>
    Binary,

    /// <summary>A ping arrived (the codec has already queued the pong).</summary>
    Ping,

    /// <summary>A pong arrived.</summary>
    Pong,

    /// <summary>
    /// The peer's close frame arrived; <see cref="WebSocketEvent.CloseCode"/> holds its code (1005 when
    /// it had none). The codec has queued the answering close frame if it had not sent one.
    /// </summary>
    Close,

    /// <summary>
    /// The peer broke the protocol: the codec queued a close frame with
    /// <see cref="WebSocketEvent.CloseCode"/> and the transport should be closed once it is sent.
    /// </summary>
    Failed,

    /// <summary>The transport ended without a close handshake (reported as 1006).</summary>
    ConnectionLost,
}

/// <summary>One event produced by <see cref="WebSocketCodec.TryReadEvent"/>.</summary>
/// <remarks>
/// <see cref="Payload"/> points into the codec's buffers and is valid only until the next call into
/// the codec; copy it to keep it (pooled buffers never cross actor boundaries).
/// </remarks>
public readonly struct WebSocketEvent
{
    internal WebSocketEvent(WebSocketEventKind kind, ReadOnlyMemory<byte> payload, CloseCode closeCode = default, string? reason = null)
    {
        Kind = kind;
        Payload = payload;
        CloseCode = closeCode;
        Reason = reason;
    }

    /// <summary>What happened.</summary>
    public WebSocketEventKind Kind { get; }

    /// <summary>Message, ping or pong payload (decompressed); empty for other kinds.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>For <see cref="WebSocketEventKind.Close"/>, <see cref="WebSocketEventKind.Failed"/> and
    /// <see cref="WebSocketEventKind.ConnectionLost"/>: the code that ends the connection.</summary>
    public CloseCode CloseCode { get; }

    /// <summary>The peer's close reason, or what the peer did wrong for <see cref="WebSocketEventKind.Failed"/>.</summary>
    public string? Reason { get; }

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        WebSocketEventKind.Close or WebSocketEventKind.Failed or WebSocketEventKind.ConnectionLost => $"{Kind}({(int)CloseCode} {Reason})",
        _ => $"{Kind}[{Payload.Length}]",
    };
}
