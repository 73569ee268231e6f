using ActorSocket.Actors.Cluster;
using Akka.Actor;

namespace ActorSocket.Actors.Api;

/// <summary>What the server API does to a user's connections.</summary>
internal enum UserAction : byte
{
    /// <summary>Subscribe each connection to a topic (permissions are not asked: the backend decides).</summary>
    Subscribe = 1,

    /// <summary>Unsubscribe each connection from a topic.</summary>
    Unsubscribe = 2,

    /// <summary>Close each connection with 3002.</summary>
    Disconnect = 3,
}

/// <summary>Server API to the API node of every cluster node: act on every connection of <paramref name="User"/> there; answered with <see cref="UserActed"/>.</summary>
/// <param name="Action">What to do.</param>
/// <param name="User">The user (the token's <c>sub</c>).</param>
/// <param name="Topic">The topic, for subscribe and unsubscribe; empty otherwise.</param>
/// <param name="Reason">The close reason, for disconnect; empty otherwise.</param>
internal sealed record UserCommand(UserAction Action, string User, string Topic, string Reason) : IClusterTopicMessage;

/// <summary>The answer to <see cref="UserCommand"/>: how many of the user's connections on <paramref name="Node"/> it took effect on.</summary>
/// <param name="Node">The node's address.</param>
/// <param name="Connections">Connections acted on (for subscribe and unsubscribe: once the topic confirmed).</param>
internal sealed record UserActed(string Node, int Connections) : IClusterTopicMessage;

/// <summary>Server API to every node: the topics with subscribers there, at most <paramref name="Max"/>; answered with <see cref="ChannelsAnswer"/>.</summary>
/// <param name="Max">The most topics to list.</param>
internal sealed record ChannelsQuery(int Max) : IClusterTopicMessage;

/// <summary>A topic and its subscribers (by name) on one node.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Subscribers">Its subscribers on that node.</param>
internal readonly record struct ChannelCount(string Topic, int Subscribers);

/// <summary>The answer to <see cref="ChannelsQuery"/>.</summary>
/// <param name="Node">The node's address.</param>
/// <param name="Channels">Topics with subscribers on the node.</param>
/// <param name="Truncated">Whether the node has more than it listed.</param>
internal sealed record ChannelsAnswer(string Node, IReadOnlyList<ChannelCount> Channels, bool Truncated) : IClusterTopicMessage;

/// <summary>Server API to every node: its figures; answered with <see cref="InfoAnswer"/>.</summary>
internal sealed class InfoQuery : IClusterTopicMessage
{
    /// <summary>The single instance.</summary>
    public static readonly InfoQuery Instance = new();

    private InfoQuery()
    {
    }
}

/// <summary>The answer to <see cref="InfoQuery"/>.</summary>
/// <param name="Node">The node's address.</param>
/// <param name="Connections">WebSocket connections open on it.</param>
/// <param name="Topics">Topics with a topic actor on it.</param>
/// <param name="UptimeSeconds">Seconds since its API node started.</param>
/// <param name="Version">Its version.</param>
internal sealed record InfoAnswer(string Node, long Connections, long Topics, long UptimeSeconds, string Version) : IClusterTopicMessage;

/// <summary>API node to a connection of the user: subscribe to <paramref name="Topic"/>, then answer <see cref="ServerActed"/>.</summary>
internal sealed record ServerSubscribe(string Topic, IActorRef ReplyTo, long Correlation);

/// <summary>API node to a connection of the user: unsubscribe from <paramref name="Topic"/>, then answer <see cref="ServerActed"/>.</summary>
internal sealed record ServerUnsubscribe(string Topic, IActorRef ReplyTo, long Correlation);

/// <summary>API node to a connection of the user: close with 3002 and <paramref name="Reason"/>.</summary>
internal sealed record ServerDisconnect(string Reason);

/// <summary>A connection's answer to <see cref="ServerSubscribe"/> or <see cref="ServerUnsubscribe"/>.</summary>
/// <param name="Correlation">The command's.</param>
/// <param name="Done">Whether it took effect (false: refused, such as past the connection's topic limit).</param>
internal sealed record ServerActed(long Correlation, bool Done);

/// <summary>API node to its node's topic registry: the topic actors alive; answered with <see cref="TopicList"/>.</summary>
internal sealed class ListTopics
{
    /// <summary>The single instance.</summary>
    public static readonly ListTopics Instance = new();

    private ListTopics()
    {
    }
}

/// <summary>The answer to <see cref="ListTopics"/> (bounded by <c>pubsub.max-topics</c>).</summary>
internal sealed record TopicList(IReadOnlyList<KeyValuePair<string, IActorRef>> Topics);

/// <summary>API node to a topic actor: its subscribers by name on this node; answered with <see cref="SubscriberCount"/>.</summary>
internal sealed record CountSubscribers(long Correlation);

/// <summary>The answer to <see cref="CountSubscribers"/>.</summary>
internal sealed record SubscriberCount(long Correlation, string Topic, int Subscribers);
