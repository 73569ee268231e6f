using ActorSocket.Actors.Topics;

namespace ActorSocket.Actors.Cluster;

/// <summary>
/// Marker of what crosses between nodes for topics; bound to <see cref="ClusterTopicSerializer"/>
/// (compact bytes, never Akka's default JSON serializer).
/// </summary>
internal interface IClusterTopicMessage
{
}

/// <summary>
/// Messages published on one node for one topic, in publish order, sent through the
/// DistributedPubSub mediator: one batch crosses to each node once, whatever its subscribers.
/// </summary>
/// <param name="Origin">The publishing node's incarnation id; that node already delivered them locally.</param>
/// <param name="Topic">The topic.</param>
/// <param name="Messages">The messages, oldest first.</param>
internal sealed record TopicBatch(long Origin, string Topic, IReadOnlyList<TopicMessage> Messages) : IClusterTopicMessage;

/// <summary>
/// Messages of one topic, in order, for the wildcard subscribers of one node whose patterns match
/// it: sent to that node's topic registry by the publishing node's topic actor (a topic without
/// history) or by the topic's owner (with history, offsets given), once per node whatever the
/// number of its subscribers and patterns.
/// </summary>
/// <param name="Topic">The concrete topic.</param>
/// <param name="Messages">The messages, oldest first.</param>
internal sealed record PatternBatch(string Topic, IReadOnlyList<TopicMessage> Messages) : IClusterTopicMessage, Topic.ICommand
{
    /// <inheritdoc />
    public string Name => Topic;
}

/// <summary>
/// Node to node: "publish a <see cref="ConfirmEcho"/> on this topic through your mediator". When the
/// echo arrives, the responder's mediator knows the asking node's subscription, so every message
/// published there from then on reaches it: that is what makes a subscribe ack hold across nodes.
/// </summary>
/// <param name="Topic">The topic subscribed to.</param>
/// <param name="Origin">The asking node's incarnation id.</param>
/// <param name="Nonce">Which subscription round of that topic asks.</param>
internal sealed record ConfirmRequest(string Topic, long Origin, long Nonce) : IClusterTopicMessage;

/// <summary>The answer to a <see cref="ConfirmRequest"/>, published on the topic itself.</summary>
/// <param name="Origin">The asking node's incarnation id.</param>
/// <param name="Nonce">The round asked about.</param>
/// <param name="Responder">The answering node's address.</param>
internal sealed record ConfirmEcho(long Origin, long Nonce, string Responder) : IClusterTopicMessage;

/// <summary>
/// Node to node, registry to registry: "do you know that <paramref name="Node"/> holds
/// <paramref name="Pattern"/>?", answered with <see cref="PatternHeld"/> once the asked node's
/// <see cref="PatternDirectory"/> has it: from then on every publish made there reaches the asking
/// node's wildcard subscribers, which is what a pattern subscribe's acknowledgement promises.
/// </summary>
/// <param name="Pattern">The pattern subscribed to.</param>
/// <param name="Node">The asking node's key in the replicated pattern table.</param>
/// <param name="Nonce">Which round of that pattern asks.</param>
internal sealed record PatternCheck(string Pattern, string Node, long Nonce) : IClusterTopicMessage;

/// <summary>The answer to a <see cref="PatternCheck"/>.</summary>
/// <param name="Pattern">The pattern.</param>
/// <param name="Nonce">The round asked about.</param>
/// <param name="Responder">The answering node's address.</param>
internal sealed record PatternHeld(string Pattern, long Nonce, string Responder) : IClusterTopicMessage;
