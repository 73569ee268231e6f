namespace ActorSocket.Actors.Connections;

/// <summary>The connection's user, known to the node's <see cref="Api.UserDirectory"/> while it is open, for the server API.</summary>
internal sealed partial class ConnectionActor
{
    private string? _user;

    /// <summary>
    /// The connection is <paramref name="user"/>'s (a token at the handshake or in <c>connect</c>):
    /// the server API's commands for that user reach it until it ends. A connection has one user.
    /// </summary>
    internal void IdentifiedAs(string user)
    {
        if (_user is not null || user.Length == 0 || _context.Users is not { } users)
        {
            return;
        }

        _user = user;
        users.Add(user, Self);
    }

    private void ForgetUser()
    {
        if (_user is not null)
        {
            _context.Users!.Remove(_user, Self);
            _user = null;
        }
    }
}
