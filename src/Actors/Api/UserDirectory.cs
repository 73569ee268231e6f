using Akka.Actor;

namespace ActorSocket.Actors.Api;

/// <summary>
/// The connections of each user on this node (users known from a token, at the handshake or from a
/// <c>connect</c>): what the server API's subscribe, unsubscribe and disconnect of a user act on.
/// </summary>
/// <remarks>
/// Thread-safe (one lock): connections register and leave from their own actors, the API node reads.
/// Bounded by the connections of the node; a connection registers under one user at most (a token
/// for another user cannot take a connection over).
/// </remarks>
internal sealed class UserDirectory
{
    private readonly Dictionary<string, HashSet<IActorRef>> _users = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Users with at least one connection here.</summary>
    public int Users
    {
        get
        {
            lock (_lock)
            {
                return _users.Count;
            }
        }
    }

    /// <summary>Registers <paramref name="connection"/> as one of <paramref name="user"/>'s.</summary>
    public void Add(string user, IActorRef connection)
    {
        lock (_lock)
        {
            if (!_users.TryGetValue(user, out HashSet<IActorRef>? connections))
            {
                _users[user] = connections = [];
            }

            connections.Add(connection);
        }
    }

    /// <summary>Forgets <paramref name="connection"/> (it ended).</summary>
    public void Remove(string user, IActorRef connection)
    {
        lock (_lock)
        {
            if (_users.TryGetValue(user, out HashSet<IActorRef>? connections) && connections.Remove(connection) && connections.Count == 0)
            {
                _users.Remove(user);
            }
        }
    }

    /// <summary>The connections of <paramref name="user"/> now (a copy).</summary>
    public IActorRef[] Connections(string user)
    {
        lock (_lock)
        {
            return _users.TryGetValue(user, out HashSet<IActorRef>? connections) ? [.. connections] : [];
        }
    }
}
