namespace ActorSocket.Protocol;

/// <summary>The close handshake state of RFC 6455 7.1.</summary>
public enum CodecState
{
    /// <summary>Messages flow both ways.</summary>
    Open,

    /// <summary>This end sent a close frame and waits for the peer's.</summary>
    Closing,

    /// <summary>Both close frames were exchanged, the connection failed, or the transport ended.</summary>
    Closed,
}
