namespace ActorSocket.Actors.Connections;

/// <summary>
/// How a connection actor fails when its peer vanished: the supervisor turns it into the
/// <see cref="ConnectionTerminated"/> it carries, logged without a stack trace.
/// </summary>
public sealed class ConnectionLostException : Exception
{
    /// <summary>Creates the failure for <paramref name="termination"/>.</summary>
    public ConnectionLostException(ConnectionTerminated termination)
        : base("connection " + termination.ConnectionId + " lost: " + termination.Cause.Name())
    {
        Termination = termination;
    }

    /// <summary>The structured termination event.</summary>
    public ConnectionTerminated Termination { get; }
}
