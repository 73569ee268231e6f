using ActorSocket.Protocol;

namespace ActorSocket.Actors.Connections;

/// <summary>
/// Published on the Akka event stream once for every WebSocket connection that ends, and logged:
/// at Information when it ended abnormally (no close handshake), at Debug otherwise.
/// </summary>
/// <param name="ConnectionId">Server-unique connection id.</param>
/// <param name="RemoteAddress">The client's address and port.</param>
/// <param name="Path">The request path.</param>
/// <param name="CloseCode">The close code: the one exchanged, 1006 when none was, 1011 for a keepalive timeout.</param>
/// <param name="Reason">The close reason, or what went wrong.</param>
/// <param name="Cause">Why it ended.</param>
/// <param name="DurationMs">Milliseconds from accept to the end.</param>
/// <param name="MessagesIn">Messages received.</param>
/// <param name="MessagesOut">Messages sent.</param>
/// <param name="BytesIn">Bytes read from the socket.</param>
/// <param name="BytesOut">Bytes written to the socket.</param>
public sealed record ConnectionTerminated(
    long ConnectionId,
    string RemoteAddress,
    string Path,
    CloseCode CloseCode,
    string Reason,
    TerminationCause Cause,
    long DurationMs,
    long MessagesIn,
    long MessagesOut,
    long BytesIn,
    long BytesOut)
{
    /// <summary>True when the connection ended without a completed close handshake.</summary>
    public bool IsAbnormal => Cause is not (TerminationCause.Closed or TerminationCause.ProtocolError or TerminationCause.HandlerFailed);
}
