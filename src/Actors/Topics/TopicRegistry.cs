using ActorSocket.Actors.Cluster;
using ActorSocket.Actors.Identity;
using ActorSocket.Actors.Metrics;
using ActorSocket.Protocol.PubSub;
using Akka.Actor;

namespace ActorSocket.Actors.Topics;

/// <summary>
/// The local topic backend: starts one <see cref="TopicActor"/> per topic on its first subscribe
/// and stops it after it has been empty for a while, through a handshake that never loses a
/// subscribe racing with the stop.
/// </summary>
/// <remarks>
/// Stopping: the idle topic says <see cref="TopicActor.Idle"/>; the registry then holds back every
/// command for that topic and asks it to <see cref="TopicActor.StopIfIdle"/>. Commands sent before
/// that question reach the topic first, so the topic either stops truly empty (held commands go
/// to a new topic actor) or answers <see cref="TopicActor.StillActive"/> (held commands go to it).
/// With a <see cref="ClusterBridge"/> it is the cluster backend: topic actors exchange messages with
/// the other nodes through the DistributedPubSub mediator, a publish without local subscribers
/// still goes to the cluster, and the registry answers other nodes' <see cref="ConfirmRequest"/>s.
/// It must have the same path on every node.
/// </remarks>
internal sealed class TopicRegistry : UntypedActor, IWithTimers
{
    private readonly TopicSettings _settings;
    private readonly ServerMetrics _metrics;
    private readonly TopicScope _scope;
    private readonly Dictionary<string, IActorRef> _topics = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<(Topic.ICommand Command, IActorRef Sender)>> _held = new(StringComparer.Ordinal);
    private readonly Dictionary<IActorRef, string> _names = [];
    private readonly HistoryBudget _budget;
    private readonly PatternDirectory _patterns;
    private readonly List<string> _gonePatterns = [];
    private long _generation;

    /// <summary>Creates the registry.</summary>
    /// <param name="settings">Topic settings.</param>
    /// <param name="metrics">Where topics, subscriptions and publishes are counted.</param>
    /// <param name="cluster">The cluster to share topics with, or null for this node alone.</param>
    /// <param name="budget">The node's history budget (shared with the topic owners in a cluster); null: a budget of <see cref="TopicSettings.HistoryMaxBytes"/> of its own.</param>
    /// <param name="durableOwners">On a single node, how topic actors reach the owners of durable topics (<see cref="LocalOwners"/>); null when no namespace is durable.</param>
    public TopicRegistry(TopicSettings settings, ServerMetrics metrics, ClusterBridge? cluster = null, HistoryBudget? budget = null, OwnerLink? durableOwners = null)
    {
        _settings = settings;
        _metrics = metrics;
        _scope = cluster is not null ? TopicScope.Cluster(cluster) : durableOwners is not null ? TopicScope.LocalWith(durableOwners) : TopicScope.Local;
        _budget = budget ?? new HistoryBudget(settings.HistoryMaxBytes, metrics);
        _patterns = PatternDirectory.For(Context.System);
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props for the registry.</summary>
    /// <param name="settings">Topic settings.</param>
    /// <param name="metrics">Where topics, subscriptions and publishes are counted.</param>
    /// <param name="cluster">The cluster to share topics with, or null for this node alone.</param>
    /// <param name="budget">The node's history budget, or null for one of its own.</param>
    /// <param name="durableOwners">On a single node, the owners of durable topics; null when no namespace is durable.</param>
    public static Props Props(TopicSettings settings, ServerMetrics metrics, ClusterBridge? cluster = null, HistoryBudget? budget = null, OwnerLink? durableOwners = null)
    {
        Props props = Akka.Actor.Props.Create(() => new TopicRegistry(settings, metrics, cluster, budget, durableOwners));

        // Every publish and subscribe passes here: on the first event loop, a connection there
        // reaches it without waking a thread.
        return settings.Dispatchers.Count > 0 ? props.WithDispatcher(settings.Dispatchers[0]) : props;
    }

    /// <summary>Asks how many topic actors are alive; answered with an <see cref="int"/>.</summary>
    public sealed class CountTopics
    {
        /// <summary>The single instance.</summary>
        public static readonly CountTopics Instance = new();

        private CountTopics()
        {
        }
    }

    /// <inheritdoc />
    protected override void PreStart()
    {
        _patterns.LocalRegistry = Self;
        _scope.Started(Context, Timers);
    }

    /// <inheritdoc />
    protected override SupervisorStrategy SupervisorStrategy() => Supervision.ResumeOnFailure.Strategy; // a topic keeps its subscribers

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Topic.ICommand command:
                if (command is Topic.Publish)
                {
                    _metrics.Publishes.Inc();
                }

                Dispatch(command, Sender);
                break;
            case TopicActor.Idle idle when _topics.TryGetValue(idle.Name, out IActorRef? idleTopic) && !_held.ContainsKey(idle.Name):
                _held[idle.Name] = [];
                idleTopic.Tell(TopicActor.StopIfIdle.Instance);
                break;
            case TopicActor.StillActive active:
                Release(active.Name);
                break;
            case Terminated terminated when _names.Remove(terminated.ActorRef, out string? name):
                _topics.Remove(name);
                _metrics.Topics.Dec();
                Release(name);
                break;
            case Terminated terminated:
                // A wildcard subscriber stopped: none of its patterns stays behind.
                _gonePatterns.Clear();
                _metrics.Subscriptions.Dec(_patterns.RemoveSubscriber(terminated.ActorRef, _gonePatterns));
                foreach (string pattern in _gonePatterns)
                {
                    _scope.PatternGone(pattern);
                }

                break;
            case CountTopics:
                Sender.Tell(_topics.Count);
                break;
            case Api.ListTopics:
                Sender.Tell(new Api.TopicList([.. _topics]));
                break;
            case Cluster.PresenceSync sync when _topics.TryGetValue(sync.Topic, out IActorRef? syncTopic) && !_held.ContainsKey(sync.Topic):
                syncTopic.Forward(sync);
                break;
            case Cluster.PresenceSync sync:
                // No topic actor here (or one about to stop): nobody of this node is present.
                Sender.Tell(new Cluster.PresenceSnapshot(sync.Topic, Cluster.ClusterPatterns.KeyOf(Akka.Cluster.Cluster.Get(Context.System).SelfUniqueAddress), 0, 0, []));
                break;
            case Akka.Cluster.ClusterEvent.MemberRemoved removed:
                // Its present clients leave every topic here at once.
                var gone = new Cluster.PresenceNodeGone(Cluster.ClusterPatterns.KeyOf(removed.Member.UniqueAddress));
                foreach (IActorRef topic in _topics.Values)
                {
                    topic.Tell(gone);
                }

                _scope.Handle(message);
                break;
            default:
                if (!_scope.Handle(message))
                {
                    Unhandled(message);
                }

                break;
        }
    }

    private void Dispatch(Topic.ICommand command, IActorRef sender)
    {
        if (command is Topic.Subscribe subscribe && _metrics.Subscriptions.Value >= _settings.MaxSubscriptions)
        {
            sender.Tell(new TopicRefused(subscribe.Ack, PubSubError.Unavailable, "this node holds its maximum of " + _settings.MaxSubscriptions + " subscriptions; retry later"));
            return;
        }

        if (command is Topic.Subscribe or Topic.Unsubscribe && IsPattern(command.Name))
        {
            OnPattern(command, sender);
            return;
        }

        if (_held.TryGetValue(command.Name, out var held))
        {
            held.Add((command, sender));
            return;
        }

        if (_topics.TryGetValue(command.Name, out IActorRef? topic))
        {
            topic.Tell(command, sender);
            return;
        }

        switch (command)
        {
            case Topic.Subscribe or Topic.Publish or Topic.History when _topics.Count >= _settings.MaxTopics:
                // Names are the clients' to make up: the number of topic actors is not.
                object? refusedAck = command switch
                {
                    Topic.Subscribe s => s.Ack,
                    Topic.History h => h.Ack,
                    _ => ((Topic.Publish)command).Ack,
                };
                sender.Tell(new TopicRefused(refusedAck, PubSubError.Unavailable, "this node holds its maximum of " + _settings.MaxTopics + " topics; retry later"));
                break;
            case Topic.Subscribe:
            case Topic.History:
            case Topic.Publish when _scope.PublishesBeyondThisNode || _settings.Namespaces.For(command.Name).HasHistory:
                // A topic with history keeps what is published even while nobody listens.
                Start(command.Name).Tell(command, sender);
                break;
            case PatternBatch batch:
                DeliverToPatterns(batch.Name, batch.Messages);
                break;
            case PresenceQuery when _scope.PublishesBeyondThisNode:
                // In a cluster the other nodes may have clients present: the topic actor asks them.
                Start(command.Name).Tell(command, sender);
                break;
            case PresenceQuery query:
                // No topic actor here: nobody present on this node.
                var nobody = new TopicPresence(query.Name, _settings.Namespaces.For(query.Name), _metrics);
                sender.Tell(new PresenceAnswer(query.Ack, query.Stats ? nobody.EncodeStats(query.Id) : nobody.EncodePresence(query.Id)));
                break;
            case Topic.Publish publish:
                // No subscriber by name here; wildcard subscribers perhaps.
                if (!_patterns.IsEmpty)
                {
                    DeliverToPatterns(publish.Name, [publish.Message]);
                }

                if (publish.Ack is { } published)
                {
                    sender.Tell(published);
                }

                break;
            case Topic.Unsubscribe { Ack: { } ack }:
                sender.Tell(ack);
                break;
        }
    }

    /// <summary>Whether <paramref name="name"/> is a wildcard pattern: in a namespace with wildcards, a name with a <c>*</c> or <c>&gt;</c> token.</summary>
    private bool IsPattern(string name) => TopicPattern.IsPattern(name) && _settings.Namespaces.For(name).Wildcards;

    /// <summary>A subscribe to a pattern, or its unsubscribe: kept in this node's <see cref="PatternDirectory"/>, which every topic actor asks.</summary>
    private void OnPattern(Topic.ICommand command, IActorRef sender)
    {
        switch (command)
        {
            case Topic.Subscribe { Since: not null } subscribe:
                sender.Tell(new TopicRefused(subscribe.Ack, PubSubError.BadRequest, "since is not allowed on a pattern"));
                break;
            case Topic.Subscribe subscribe:
                {
                    var subscription = new TopicSubscription(subscribe.AcceptsBatches, subscribe.Format, subscribe.Origin);
                    bool added = _patterns.AddLocal(subscribe.Name, subscribe.Subscriber, subscription, out bool newPattern);
                    if (newPattern && _patterns.LocalPatterns > _settings.MaxPatterns)
                    {
                        _patterns.RemoveLocal(subscribe.Name, subscribe.Subscriber, out _);
                        sender.Tell(new TopicRefused(subscribe.Ack, PubSubError.Unavailable, "this node holds its maximum of " + _settings.MaxPatterns + " wildcard patterns; retry later"));
                        return;
                    }

                    if (added)
                    {
                        Context.Watch(subscribe.Subscriber);
                        _metrics.Subscriptions.Inc();
                    }

                    _scope.PatternAdded(subscribe.Name, newPattern, subscribe.Ack, sender);
                    break;
                }

            case Topic.Unsubscribe unsubscribe:
                if (_patterns.RemoveLocal(unsubscribe.Name, unsubscribe.Subscriber, out bool gone))
                {
                    _metrics.Subscriptions.Dec();
                    if (!_patterns.HasSubscriber(unsubscribe.Subscriber) && !_names.ContainsKey(unsubscribe.Subscriber))
                    {
                        Context.Unwatch(unsubscribe.Subscriber);
                    }

                    if (gone)
                    {
                        _scope.PatternGone(unsubscribe.Name);
                    }
                }

                if (unsubscribe.Ack is { } unsubscribed)
                {
                    sender.Tell(unsubscribed);
                }

                break;
        }
    }

    /// <summary>Messages of a topic without a topic actor here, to this node's wildcard subscribers whose patterns match it.</summary>
    private void DeliverToPatterns(string name, IReadOnlyList<TopicMessage> messages)
    {
        List<KeyValuePair<IActorRef, TopicSubscription>> local = _patterns.Local(name);
        if (local.Count > 0)
        {
            var audience = new TopicAudience(name, TopicAudience.KeepsLatest(_settings.Namespaces.For(name)), local);
            _metrics.Deliveries.Inc(audience.Deliver(messages));
        }
    }

    private IActorRef Start(string name)
    {
        // Topic names are arbitrary strings; actor names are not: number them instead.
        Props props = TopicActor.Props(name, _settings.IdleTimeout, _metrics, _scope, _settings.Namespaces.For(name), _budget);
        ++_generation;
        if (_settings.Dispatchers.Count > 0)
        {
            // Topics take the loops in turn, as connections do.
            props = props.WithDispatcher(_settings.Dispatchers[(int)(_generation % _settings.Dispatchers.Count)]);
        }

        IActorRef topic = Context.ActorOf(props, "t" + _generation.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Context.Watch(topic);
        _topics[name] = topic;
        _names[topic] = name;
        _metrics.Topics.Inc();
        return topic;
    }

    private void Release(string name)
    {
        if (!_held.Remove(name, out var held))
        {
            return;
        }

        // In arrival order, before anything newer: a publisher's order holds across the stop.
        foreach ((Topic.ICommand command, IActorRef sender) in held)
        {
            Dispatch(command, sender);
        }
    }
}
