using Akka.Actor;

namespace ActorSocket.Actors.Topics;

/// <summary>
/// What lies beyond a topic actor's own subscribers: nothing on a single node
/// (<see cref="LocalReach"/>), the topic's subscribers on other nodes in a cluster
/// (<see cref="ClusterReach"/>). It also decides when the topic's commands are acknowledged, since
/// that depends on how far they must reach. The topic actor delivers to its own subscribers the same
/// way in both cases.
/// </summary>
internal interface ITopicReach
{
    /// <summary>A publish was delivered to this node's subscribers; acknowledge it when it has reached far enough.</summary>
    void Published(TopicMessage message, object? ack, IActorRef sender);

    /// <summary>A subscription is in place here; acknowledge it once every later publish, from anywhere, reaches it.</summary>
    void Subscribed(object? ack, IActorRef sender);

    /// <summary>The number of this node's subscribers changed (it is <paramref name="count"/> now).</summary>
    void SubscribersChanged(int count);

    /// <summary>A message meant for the reach itself; false when it is not one.</summary>
    bool Handle(object message);

    /// <summary>The topic actor stops: hand on what is pending.</summary>
    void Stopped();
}

/// <summary>A single node: every command takes effect at once and is acknowledged at once.</summary>
internal sealed class LocalReach : ITopicReach
{
    /// <summary>Stateless: one for every topic.</summary>
    public static readonly LocalReach Instance = new();

    private LocalReach()
    {
    }

    /// <inheritdoc />
    public void Published(TopicMessage message, object? ack, IActorRef sender) => Ack(ack, sender);

    /// <inheritdoc />
    public void Subscribed(object? ack, IActorRef sender) => Ack(ack, sender);

    /// <inheritdoc />
    public void SubscribersChanged(int count)
    {
    }

    /// <inheritdoc />
    public bool Handle(object message) => false;

    /// <inheritdoc />
    public void Stopped()
    {
    }

    private static void Ack(object? ack, IActorRef sender)
    {
        if (ack is not null)
        {
            sender.Tell(ack);
        }
    }
}

/// <summary>
/// How far the topics of one registry reach: this node alone (<see cref="Local"/>) or the cluster
/// (<see cref="Cluster"/>). The registry and its topic actors ask it, instead of checking for a
/// cluster themselves.
/// </summary>
internal abstract class TopicScope
{
    /// <summary>This node alone.</summary>
    public static readonly TopicScope Local = new LocalScope();

    /// <summary>Whether a publish to a topic that has no subscriber here must still go on (to other nodes).</summary>
    public abstract bool PublishesBeyondThisNode { get; }

    /// <summary>The topics shared with every node of <paramref name="bridge"/>'s cluster.</summary>
    public static TopicScope Cluster(Cluster.ClusterBridge bridge) => new ClusterScope(bridge);

    /// <summary>The reach of one topic actor.</summary>
    public abstract ITopicReach ReachFor(TopicActor topic, IActorContext context, string name);

    /// <summary>Where the stream of a topic with history is: in its topic actor (one node), or in its owner (a cluster).</summary>
    public abstract ITopicStream StreamFor(TopicActor topic, IActorContext context, string name, NamespaceSettings space, HistoryBudget budget);

    /// <summary>A message for the registry from beyond this node; false when it is not one.</summary>
    public abstract bool Handle(object message);

    /// <summary>How a topic actor of a namespace with presence shares it with the other nodes; null on one node.</summary>
    public virtual Cluster.PresenceReplica? PresenceFor(IActorContext context, string name) => null;

    /// <summary>The registry started.</summary>
    public virtual void Started(IActorContext registry, ITimerScheduler timers)
    {
    }

    /// <summary>
    /// A subscriber of this node subscribed to <paramref name="pattern"/> (<paramref name="newPattern"/>:
    /// the first one here); acknowledge once every later publish, from anywhere, reaches it. On one
    /// node at once.
    /// </summary>
    public virtual void PatternAdded(string pattern, bool newPattern, object? ack, IActorRef sender)
    {
        if (ack is not null)
        {
            sender.Tell(ack);
        }
    }

    /// <summary>The last subscriber of this node left <paramref name="pattern"/>.</summary>
    public virtual void PatternGone(string pattern)
    {
    }

    /// <summary>This node alone, with the owners of its durable topics reached through <paramref name="durableOwners"/>.</summary>
    public static TopicScope LocalWith(Cluster.OwnerLink durableOwners) => new LocalScope(durableOwners);

    private sealed class LocalScope(Cluster.OwnerLink? durableOwners = null) : TopicScope
    {
        public override bool PublishesBeyondThisNode => false;

        public override ITopicReach ReachFor(TopicActor topic, IActorContext context, string name) => LocalReach.Instance;

        // A durable topic's stream is its owner's (the one that writes the store); others are kept in the topic actor.
        public override ITopicStream StreamFor(TopicActor topic, IActorContext context, string name, NamespaceSettings space, HistoryBudget budget) =>
            space.HistoryDurable && durableOwners is not null
                ? new Cluster.OwnedStream(durableOwners, topic, context, name)
                : new LocalStream(topic, new TopicHistory(space, budget), topic.Metrics);

        public override bool Handle(object message) => false;
    }

    private sealed class ClusterScope(Cluster.ClusterBridge bridge) : TopicScope
    {
        private Cluster.ClusterPatterns? _patterns;

        public override bool PublishesBeyondThisNode => true; // other nodes may have subscribers

        public override void Started(IActorContext registry, ITimerScheduler timers) => _patterns = new Cluster.ClusterPatterns(bridge, registry, timers);

        public override void PatternAdded(string pattern, bool newPattern, object? ack, IActorRef sender) => _patterns!.Added(pattern, newPattern, ack, sender);

        public override void PatternGone(string pattern) => _patterns!.Gone(pattern);

        public override Cluster.PresenceReplica? PresenceFor(IActorContext context, string name) => new(bridge, context, name);

        public override ITopicReach ReachFor(TopicActor topic, IActorContext context, string name) => new ClusterReach(bridge, topic, context, name);

        public override ITopicStream StreamFor(TopicActor topic, IActorContext context, string name, NamespaceSettings space, HistoryBudget budget) =>
            new Cluster.OwnedStream(bridge.OwnerLink, topic, context, name);

        public override bool Handle(object message)
        {
            if (message is not Cluster.ConfirmRequest request)
            {
                return _patterns?.Handle(message) == true;
            }

            // Another node subscribed: echo through our mediator, which routes it there once it knows.
            bridge.Mediator.Tell(new Akka.Cluster.Tools.PublishSubscribe.Publish(request.Topic, new Cluster.ConfirmEcho(request.Origin, request.Nonce, bridge.SelfAddress)));
            return true;
        }
    }
}
