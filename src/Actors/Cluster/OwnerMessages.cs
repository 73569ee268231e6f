using ActorSocket.Actors.Topics;
using ActorSocket.Protocol.PubSub;
using Akka.Actor;
using Akka.Cluster.Sharding;

namespace ActorSocket.Actors.Cluster;

/// <summary>
/// The key under which the shard region of topic owners is registered (Akka.Hosting's actor
/// registry): one <see cref="TopicOwner"/> per topic with history, placed in the cluster by
/// Akka.Cluster.Sharding.
/// </summary>
internal sealed class TopicOwnerRegion
{
    /// <summary>The sharding type name, the same on every node.</summary>
    public const string TypeName = "topic-owner";
}

/// <summary>A message for the owner of a topic, routed by its topic through the shard region.</summary>
internal interface IOwnerCommand : IClusterTopicMessage
{
    /// <summary>The topic: the owner entity's id.</summary>
    string Topic { get; }
}

/// <summary>
/// Follower to owner: "this node's topic actor follows the stream" (idempotent), answered with
/// <see cref="OwnerJoined"/> before any later message of the stream reaches the follower.
/// </summary>
/// <param name="Topic">The topic.</param>
/// <param name="Follower">The node's topic actor, which receives every message from now on.</param>
/// <param name="Since">A subscriber's position to recover from, or null.</param>
/// <param name="Correlation">Carried back in the answer.</param>
/// <param name="Rejoin">The follower lost its owner: the answer carries every message the (new) stream keeps, for its subscribers.</param>
internal sealed record OwnerJoin(string Topic, IActorRef Follower, PubSubPosition? Since, long Correlation, bool Rejoin) : IOwnerCommand;

/// <summary>Owner to follower: the stream's position when the follower joined, and the messages it asked for.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Correlation">The join's correlation.</param>
/// <param name="Position">The stream's epoch and last offset.</param>
/// <param name="Recovered">With <c>Since</c>: whether every message after it follows; null without.</param>
/// <param name="Messages">Those messages, oldest first (for a rejoin: every kept message).</param>
internal sealed record OwnerJoined(string Topic, long Correlation, PubSubPosition Position, bool? Recovered, IReadOnlyList<TopicMessage> Messages) : IClusterTopicMessage;

/// <summary>Follower to owner: this node has no subscriber of the topic any more.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Follower">The node's topic actor.</param>
internal sealed record OwnerLeave(string Topic, IActorRef Follower) : IOwnerCommand;

/// <summary>Follower to owner: a publish, to be given the next offset and sent to every follower.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Message">The message.</param>
/// <param name="Correlation">Acknowledged with <see cref="OwnerAppended"/>.</param>
internal sealed record OwnerPublish(string Topic, TopicMessage Message, long Correlation) : IOwnerCommand;

/// <summary>Owner to a publishing follower: these publishes have their offsets and were sent to every follower.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Correlations">The publishes' correlations.</param>
/// <param name="Epoch">The stream's epoch (empty from a node that did not send positions).</param>
/// <param name="Offsets">The offset each publish was given, in the order of <paramref name="Correlations"/> (empty from a node that did not send them).</param>
internal sealed record OwnerAppended(string Topic, IReadOnlyList<long> Correlations, string Epoch, IReadOnlyList<long> Offsets) : IClusterTopicMessage;

/// <summary>Owner to every follower: messages of the stream, in offset order.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Epoch">The stream's epoch.</param>
/// <param name="Messages">The messages, each with its offset.</param>
internal sealed record OwnerMessages(string Topic, string Epoch, IReadOnlyList<TopicMessage> Messages) : IClusterTopicMessage;

/// <summary>Follower to owner: a history read, answered with <see cref="OwnerJoined"/> (no join).</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Limit">The most messages (-1: all).</param>
/// <param name="Since">Messages after this position, or null for the most recent.</param>
/// <param name="Correlation">Carried back.</param>
internal sealed record OwnerHistory(string Topic, int Limit, PubSubPosition? Since, long Correlation) : IOwnerCommand;

/// <summary>Why an owner did not take a request.</summary>
internal enum OwnerRefusal : byte
{
    /// <summary>The owner's node holds as many topic owners as it may (<c>pubsub.max-topics</c>).</summary>
    Full,

    /// <summary>The topic's history is durable and its store cannot be reached: nothing was written.</summary>
    StoreUnavailable,

    /// <summary>The store failed while this publish was being written: it may or may not have been kept (and delivered later).</summary>
    InDoubt,
}

/// <summary>
/// Owner to follower: the request was not taken (see <see cref="OwnerRefusal"/>); the client gets
/// <c>unavailable</c> and may retry.
/// </summary>
/// <param name="Topic">The topic.</param>
/// <param name="Correlation">The refused request's correlation.</param>
/// <param name="Reason">Why.</param>
internal sealed record OwnerRefused(string Topic, long Correlation, OwnerRefusal Reason = OwnerRefusal.Full) : IClusterTopicMessage;

/// <summary>Sharding to owner, when its shard is handed to another node: stop.</summary>
internal sealed class OwnerStop
{
    /// <summary>The single instance.</summary>
    public static readonly OwnerStop Instance = new();

    private OwnerStop()
    {
    }
}

/// <summary>Routes <see cref="IOwnerCommand"/>s by topic: the topic is the entity id, hashed into 100 shards.</summary>
internal sealed class OwnerMessageExtractor() : HashCodeMessageExtractor(100)
{
    /// <inheritdoc />
    public override string EntityId(object message) => message is IOwnerCommand command ? command.Topic : null!;
}
