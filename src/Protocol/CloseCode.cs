namespace ActorSocket.Protocol;

/// <summary>
/// WebSocket close status codes, named as in RFC 6455 section 7.4.1 and the IANA registry.
/// </summary>
/// <remarks>
/// Codes 1005 and 1006 are never sent on the wire: they only report that a close frame carried no
/// code, or that the connection was lost without one.
/// </remarks>
public enum CloseCode : ushort
{
    /// <summary>1000: the purpose for which the connection was established has been fulfilled.</summary>
    NormalClosure = 1000,

    /// <summary>1001: an endpoint is going away (server shutting down, browser leaving the page).</summary>
    GoingAway = 1001,

    /// <summary>1002: the peer broke the protocol (bad frame, unmasked client frame, bad opcode, reserved bits).</summary>
    ProtocolError = 1002,

    /// <summary>1003: the endpoint received a type of data it cannot accept (binary on a text-only route).</summary>
    UnsupportedData = 1003,

    /// <summary>1005: reported, never sent, when a close frame carried no status code.</summary>
    NoStatusReceived = 1005,

    /// <summary>1006: reported, never sent, when the connection closed without a close frame.</summary>
    AbnormalClosure = 1006,

    /// <summary>1007: a message was not consistent with its type (text that is not valid UTF-8).</summary>
    InvalidPayloadData = 1007,

    /// <summary>1008: a policy was violated (slow consumer, origin refused, rate limit).</summary>
    PolicyViolation = 1008,

    /// <summary>1009: a message was larger than the configured maximum.</summary>
    MessageTooBig = 1009,

    /// <summary>1010: the client expected an extension the server did not negotiate.</summary>
    MandatoryExtension = 1010,

    /// <summary>1011: the server hit an unexpected condition (a handler failed, a keepalive timed out).</summary>
    InternalError = 1011,

    /// <summary>1012: the service is restarting.</summary>
    ServiceRestart = 1012,

    /// <summary>1013: try again later (temporary overload).</summary>
    TryAgainLater = 1013,

    /// <summary>1014: a gateway or proxy received an invalid response from upstream.</summary>
    BadGateway = 1014,

    /// <summary>1015: reported, never sent, when the TLS handshake failed.</summary>
    TlsHandshake = 1015,

    /// <summary>3000 (registered range, used by ActorSocket): the token of a <c>connect</c> frame is invalid or expired; do not reconnect with it.</summary>
    Unauthorized = 3000,

    /// <summary>3001 (used by ActorSocket): the connection's token expired without a refresh; reconnect with a fresh token.</summary>
    TokenExpired = 3001,

    /// <summary>3002 (used by ActorSocket): the application's backend disconnected this user (server API); do not reconnect by yourself.</summary>
    Disconnected = 3002,
}
