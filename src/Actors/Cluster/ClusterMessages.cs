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
