namespace ActorSocket.Actors.Connections;

/// <summary>Why a connection ended.</summary>
public enum TerminationCause
{
    /// <summary>A close handshake finished (either side started it).</summary>
    Closed,

    /// <summary>We failed the connection for a protocol violation (1002, 1003, 1007, 1009).</summary>
    ProtocolError,

    /// <summary>The peer closed TCP without a close frame.</summary>
    Eof,

    /// <summary>The connection was reset or a read failed.</summary>
    Reset,

    /// <summary>No pong arrived in time.</summary>
    KeepaliveTimeout,

    /// <summary>The handshake did not complete in time.</summary>
    HandshakeTimeout,

    /// <summary>The peer did not answer our close frame in time.</summary>
    CloseTimeout,

    /// <summary>A write to the socket failed.</summary>
    WriteFailed,

    /// <summary>The server shut down before the close handshake finished.</summary>
    Shutdown,

    /// <summary>The client fell too far behind (1008 slow consumer).</summary>
    SlowConsumer,

    /// <summary>The handler failed (1011).</summary>
    HandlerFailed,
}

/// <summary>Wire names of <see cref="TerminationCause"/> for logs and metrics.</summary>
public static class TerminationCauses
{
    /// <summary>The lower-case, dash-separated name: <c>keepalive-timeout</c>.</summary>
    public static string Name(this TerminationCause cause) => cause switch
    {
        TerminationCause.Closed => "closed",
        TerminationCause.ProtocolError => "protocol-error",
        TerminationCause.Eof => "eof",
        TerminationCause.Reset => "reset",
        TerminationCause.KeepaliveTimeout => "keepalive-timeout",
        TerminationCause.HandshakeTimeout => "handshake-timeout",
        TerminationCause.CloseTimeout => "close-timeout",
        TerminationCause.WriteFailed => "write-failed",
        TerminationCause.Shutdown => "shutdown",
        TerminationCause.SlowConsumer => "slow-consumer",
        TerminationCause.HandlerFailed => "handler-failed",
        _ => "unknown",
    };
}
