using ActorSocket.Actors.Cluster;
using ActorSocket.Actors.Metrics;
using ActorSocket.Protocol.PubSub;
using Akka.Actor;

namespace ActorSocket.Actors.Topics;

/// <summary>
/// One topic on this node: its subscribers, watched so that a subscriber that stops (a connection
/// that vanished) leaves no subscription behind. Empty for its idle timeout, it asks its registry
/// to stop it; the registry's handshake makes a subscribe racing with that stop safe. What lies
/// beyond this node's subscribers is its <see cref="ITopicReach"/>: nothing on one node
/// (<see cref="LocalReach"/>), the other nodes in a cluster (<see cref="ClusterReach"/>).
/// In a namespace with history it is also the topic's single writer: it gives each publish the next
/// offset, keeps it in the <see cref="TopicHistory"/>, replays what a subscriber missed before any
/// newer message, and does not stop while its history still holds messages.
/// </summary>
internal sealed class TopicActor : UntypedActor, IWithTimers
{
    private readonly string _name;
    private readonly TimeSpan _idleTimeout;
    private readonly ServerMetrics _metrics;
    private readonly Dictionary<IActorRef, TopicSubscription> _subscribers = [];
    private readonly PatternDirectory _patterns;
    private TopicAudience _audience;

    // This node's wildcard subscribers of the topic (those not subscribed to it by name), as of
    // the directory's version _patternVersion (-1: to be asked again).
    private TopicAudience? _patternAudience;
    private IActorRef[] _patternNodes = [];
    private int _patternVersion = -1;

    private readonly ITopicReach _reach;
    private readonly TopicPresence? _presence;
    private readonly Cluster.PresenceReplica? _replica;
    private IActorRef[] _connections = [];
    private readonly ITopicStream? _stream;

    // Null: a subscriber that falls behind is closed (version 1). Else whether only the newest
    // waiting frame is kept (latest) or the oldest go first (drop-oldest).
    private readonly bool? _keepsLatest;

    // Publishes taken in this run of the mailbox, delivered together when it has no more of them in a
    // row (see OnReceive): a subscriber then gets one envelope for the burst instead of one per message.
    // Bounded so that a subscriber's outbound buffer takes a burst as it took its messages one by one.
    private const int MaxBurstMessages = 64;
    private const int MaxBurstBytes = 64 * 1024;
    private readonly List<PendingPublish> _burst = [];
    private int _burstBytes;
    private bool _deliverScheduled;

    public TopicActor(string name, TimeSpan idleTimeout, ServerMetrics metrics, TopicScope scope, NamespaceSettings? space = null, HistoryBudget? budget = null)
    {
        _name = name;
        _idleTimeout = idleTimeout;
        _metrics = metrics;
        _stream = space is { HasHistory: true } ? scope.StreamFor(this, Context, name, space, budget ?? new HistoryBudget(long.MaxValue)) : null;

        _keepsLatest = space is null ? null : TopicAudience.KeepsLatest(space);

        // A topic with history reaches other nodes through its stream's owner, not the mediator.
        _reach = _stream is null ? scope.ReachFor(this, Context, name) : LocalReach.Instance;
        _patterns = PatternDirectory.For(Context.System);
        _audience = new TopicAudience(name, _keepsLatest, []);
        _replica = space is { Presence: true } ? scope.PresenceFor(Context, name) : null;
        _presence = space is { Presence: true } ? new TopicPresence(name, space, metrics) { Replicated = _replica is not null } : null;
        _presenceWindow = space?.PresenceWindow ?? _presenceWindow;
        _presenceGrace = space?.PresenceLeaveGrace ?? TimeSpan.Zero;
    }

    /// <summary>The topic.</summary>
    internal string Name => _name;

    /// <summary>Where subscriptions and deliveries are counted.</summary>
    internal ServerMetrics Metrics => _metrics;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>How many subscribers this node has for the topic.</summary>
    internal int SubscriberCount => _subscribers.Count;

    public static Props Props(string name, TimeSpan idleTimeout, ServerMetrics metrics, TopicScope scope, NamespaceSettings? space = null, HistoryBudget? budget = null) =>
        Akka.Actor.Props.Create(() => new TopicActor(name, idleTimeout, metrics, scope, space, budget));

    /// <summary>Nothing to keep this topic for: no subscriber here, and nothing its stream holds.</summary>
    private bool IsIdle => _subscribers.Count == 0 && _stream?.KeepsTopic != true && _presence?.HasLeaving != true;

    /// <summary>Whether more messages wait in this actor's mailbox (a burst may be under way).</summary>
    private bool MoreQueued => ((ActorCell)Context).Mailbox?.MessageQueue.HasMessages == true;

    /// <summary>The scheduler's clock (virtual in tests).</summary>
    internal DateTimeOffset Now => Context.System.Scheduler.Now;

    /// <summary>Registry to topic: stop if still empty, else answer <see cref="StillActive"/>.</summary>
    internal sealed class StopIfIdle
    {
        public static readonly StopIfIdle Instance = new();
    }

    /// <summary>Topic to registry: empty for the idle timeout.</summary>
    internal sealed record Idle(string Name);

    /// <summary>Topic to registry: a subscriber arrived before the stop.</summary>
    internal sealed record StillActive(string Name);

    /// <summary>Topic to itself: the publishes of the burst are all in; deliver them.</summary>
    private sealed class DeliverBurst : Akka.Event.IDeadLetterSuppression
    {
        public static readonly DeliverBurst Instance = new();
    }

    /// <summary>A publish of the current burst: the message, and whom to acknowledge once it is delivered.</summary>
    private readonly record struct PendingPublish(TopicMessage Message, object? Ack, IActorRef Sender);

    private sealed class IdleTick
    {
        public static readonly IdleTick Instance = new();
    }

    private sealed class PresenceWindowTick
    {
        public static readonly PresenceWindowTick Instance = new();
    }

    private sealed class PresenceGraceTick
    {
        public static readonly PresenceGraceTick Instance = new();
    }

    private readonly TimeSpan _presenceWindow = TimeSpan.FromMilliseconds(200);
    private readonly TimeSpan _presenceGrace;

    /// <summary>Starts the replica (listening, first round of snapshots) if it has not started; false, so that it reads as a condition.</summary>
    private static bool Start(Cluster.PresenceReplica replica)
    {
        replica.Start();
        return false;
    }

    /// <summary>A presence change went out at once: the coalescing window opens for those that follow.</summary>
    private void PresenceSent() => Timers.StartSingleTimer(nameof(PresenceWindowTick), PresenceWindowTick.Instance, _presenceWindow);

    protected override void PreStart() => StartIdleTimer();

    protected override void PostStop()
    {
        DeliverPending(); // a burst taken before the stop is delivered, not dropped
        _presence?.Stopped();
        _replica?.Stopped();
        _stream?.Stopped();
        _metrics.Subscriptions.Dec(_subscribers.Count);
        _reach.Stopped(); // a pending batch goes to the cluster: nothing published is left behind
    }

    protected override void OnReceive(object message)
    {
        // A burst is delivered before anything else is handled, so that a subscribe, an unsubscribe or
        // a stop between two publishes sees them exactly as if each had been delivered on arrival.
        if (_burst.Count > 0 && message is not Topic.Publish && message is not DeliverBurst)
        {
            DeliverPending();
        }

        switch (message)
        {
            case Topic.Publish publish when _stream is not null:
                _stream.Publish(publish, Sender);
                break;
            case Topic.Publish publish:
                TakeIntoBurst(publish.Message, publish.Ack, Sender);
                break;
            case DeliverBurst:
                _deliverScheduled = false;
                DeliverPending();
                break;
            case Topic.Subscribe { Since: not null } when _stream is null:
                Sender.Tell(new TopicRefused(((Topic.Subscribe)message).Ack, PubSubError.BadRequest, "topic " + _name + " keeps no history: since is not allowed"));
                break;
            case Topic.History when _stream is null:
                Sender.Tell(new TopicRefused(((Topic.History)message).Ack, PubSubError.BadRequest, "topic " + _name + " keeps no history"));
                break;
            case Topic.History request:
                _stream!.History(request, Sender);
                break;
            case Topic.Subscribe subscribe when _stream is not null:
                Timers.Cancel(nameof(IdleTick)); // a subscribe the stream completes later keeps the topic
                _stream.Subscribe(subscribe, Sender);
                break;
            case Topic.Subscribe subscribe:
                AddSubscriber(subscribe);
                _reach.Subscribed(subscribe.Ack, Sender);
                break;
            case Topic.Unsubscribe unsubscribe:
                _stream?.Left(unsubscribe.Subscriber);
                Remove(unsubscribe.Subscriber, ended: false);
                Ack(unsubscribe.Ack);
                break;
            case Terminated terminated when !_subscribers.ContainsKey(terminated.ActorRef) && _stream?.Handle(message) == true:
                break; // the stream's owner
            case Terminated terminated:
                _stream?.Left(terminated.ActorRef);
                Remove(terminated.ActorRef, ended: true);
                break;
            case PresenceQuery query when _replica is not null && _presence is not null && (Start(_replica) || _replica.Syncing):
                _replica.Hold(query, Sender); // answered once every node has sent its presence
                break;
            case PresenceQuery query:
                TopicPresence presence = _presence ?? new TopicPresence(_name, new NamespaceSettings(), _metrics);
                Sender.Tell(new PresenceAnswer(query.Ack, query.Stats ? presence.EncodeStats(query.Id) : presence.EncodePresence(query.Id)));
                break;
            case Api.CountSubscribers count:
                Sender.Tell(new Api.SubscriberCount(count.Correlation, _name, _subscribers.Count));
                break;
            case PresenceWindowTick:
                if (_presence?.Flush(_connections) == true)
                {
                    Timers.StartSingleTimer(nameof(PresenceWindowTick), PresenceWindowTick.Instance, _presenceWindow);
                }

                break;
            case PresenceGraceTick:
                if (_presence is not null)
                {
                    if (_presence.Expire(Now, _connections, out DateTimeOffset? next))
                    {
                        PresenceSent();
                    }

                    _replica?.Changed();

                    if (next is { } at)
                    {
                        Timers.StartSingleTimer(nameof(PresenceGraceTick), PresenceGraceTick.Instance, at - Now);
                    }
                    else if (IsIdle)
                    {
                        StartIdleTimer();
                    }
                }

                break;
            case IdleTick:
                if (IsIdle)
                {
                    Context.Parent.Tell(new Idle(_name));
                }

                break;
            case PatternBatch batch:
                Deliver(batch.Messages, Audience.Patterns);
                break;
            case StopIfIdle:
                if (IsIdle)
                {
                    // PostStop hands a pending batch to the cluster: nothing published is left behind.
                    Context.Stop(Self);
                }
                else
                {
                    Sender.Tell(new StillActive(_name));
                }

                break;
            default:
                if (_replica is not null && _replica.Handle(message, _presence!, _connections, PresenceSent))
                {
                    break;
                }

                if (_stream?.Handle(message) != true && !_reach.Handle(message))
                {
                    Unhandled(message);
                }

                break;
        }
    }

    /// <summary>
    /// A publish joins the burst: delivered now if the burst is full or nothing else waits in the
    /// mailbox, else when the mailbox has given what waits behind it. Then <paramref name="ack"/>
    /// goes to <paramref name="sender"/> through the topic's reach (a topic with history on one node,
    /// whose stream calls this with the sequenced message, has a reach that only answers).
    /// </summary>
    internal void TakeIntoBurst(TopicMessage message, object? ack, IActorRef sender)
    {
        _burst.Add(new PendingPublish(message, ack, sender));
        _burstBytes += message.Data.Length;
        if (_burst.Count >= MaxBurstMessages || _burstBytes >= MaxBurstBytes)
        {
            DeliverPending();
        }
        else if (!_deliverScheduled)
        {
            if (MoreQueued)
            {
                // Behind what is queued already: the publishes among it join this burst.
                _deliverScheduled = true;
                Self.Tell(DeliverBurst.Instance, ActorRefs.NoSender);
            }
            else
            {
                DeliverPending(); // nothing else waiting: no burst to wait for
            }
        }
    }

    /// <summary>
    /// The publishes of the burst, in order: to every subscriber, as one envelope where it takes
    /// batches; then each publisher is acknowledged (and the cluster told) as on arrival.
    /// </summary>
    private void DeliverPending()
    {
        if (_burst.Count == 0)
        {
            return;
        }

        if (_burst.Count == 1)
        {
            Deliver(_burst[0].Message, Audience.All);
        }
        else
        {
            var messages = new TopicMessage[_burst.Count];
            for (int i = 0; i < messages.Length; i++)
            {
                messages[i] = _burst[i].Message;
            }

            Deliver(messages, Audience.All);
        }

        foreach (PendingPublish publish in _burst)
        {
            _reach.Published(publish.Message, publish.Ack, publish.Sender);
        }

        _burst.Clear();
        _burstBytes = 0;
    }

    /// <summary>
    /// One message to the topic's subscribers here: those subscribed by name, or this node's
    /// wildcard subscribers whose patterns match the topic, or both (<paramref name="audience"/>).
    /// </summary>
    internal void Deliver(TopicMessage message, Audience audience)
    {
        int delivered = audience == Audience.Patterns ? 0 : _audience.Deliver(message);
        if (audience != Audience.Subscribers && PatternAudience() is { } patterns)
        {
            delivered += patterns.Deliver(message);
        }

        _metrics.Deliveries.Inc(delivered);
    }

    /// <summary>Several messages in order, to the same audiences as <see cref="Deliver(TopicMessage, Audience)"/>.</summary>
    internal void Deliver(IReadOnlyList<TopicMessage> messages, Audience audience)
    {
        int delivered = audience == Audience.Patterns ? 0 : _audience.Deliver(messages);
        if (audience != Audience.Subscribers && PatternAudience() is { } patterns)
        {
            delivered += patterns.Deliver(messages);
        }

        _metrics.Deliveries.Inc(delivered);
    }

    /// <summary>
    /// The other nodes whose wildcard subscribers take this topic (their registries): a topic
    /// without history sends its publishes there as well as to the topic's subscribers.
    /// </summary>
    internal IReadOnlyList<IActorRef> PatternNodes()
    {
        if (_patterns.IsEmpty)
        {
            return [];
        }

        Refresh();
        return _patternNodes;
    }

    private TopicAudience? PatternAudience()
    {
        if (_patterns.IsEmpty)
        {
            return null;
        }

        Refresh();
        return _patternAudience;
    }

    private void Refresh()
    {
        int version = _patterns.Version;
        if (version == _patternVersion)
        {
            return;
        }

        // A subscriber by name already takes every message: a pattern of its own adds nothing.
        List<KeyValuePair<IActorRef, TopicSubscription>> local = _patterns.Local(_name);
        local.RemoveAll(pair => _subscribers.ContainsKey(pair.Key));
        _patternAudience = local.Count == 0 ? null : new TopicAudience(_name, _keepsLatest, local);
        _patternNodes = _patterns.Nodes(_name, includeThisNode: false);
        _patternVersion = version;
    }

    /// <summary>Adds (or updates) the subscriber of <paramref name="subscribe"/>: every later delivery reaches it.</summary>
    internal void AddSubscriber(Topic.Subscribe subscribe)
    {
        var subscription = new TopicSubscription(subscribe.AcceptsBatches, subscribe.Format, subscribe.Origin);

        if (_subscribers.TryGetValue(subscribe.Subscriber, out TopicSubscription? existing))
        {
            if (existing != subscription)
            {
                _subscribers[subscribe.Subscriber] = subscription; // a second subscribe may change how it is delivered
                Changed();
            }
        }
        else
        {
            _subscribers.Add(subscribe.Subscriber, subscription);
            Context.Watch(subscribe.Subscriber);
            _metrics.Subscriptions.Inc();
            Changed();
            if (_presence is not null && subscribe.Presence is { } entry)
            {
                if (_replica is not null)
                {
                    Start(_replica);
                    _replica.Changed();
                }

                if (_presence.Join(subscribe.Subscriber, entry, _connections))
                {
                    PresenceSent();
                }
            }
        }
    }

    /// <summary>Starts the idle timer if nothing keeps the topic any more (its stream let go of it).</summary>
    internal void MaybeIdle()
    {
        if (IsIdle)
        {
            StartIdleTimer();
        }
    }

    /// <summary>Messages to one subscriber alone, the way it takes them.</summary>
    internal void Replay(IActorRef subscriber, IReadOnlyList<TopicMessage> messages)
    {
        if (_subscribers.TryGetValue(subscriber, out TopicSubscription? subscription))
        {
            _audience.Send(subscriber, subscription, messages, underPolicy: false);
        }
    }

    /// <summary>Removes a subscriber: it unsubscribed, or (<paramref name="ended"/>) its connection ended, when its presence lasts for the grace.</summary>
    private void Remove(IActorRef subscriber, bool ended)
    {
        if (_subscribers.Remove(subscriber))
        {
            Context.Unwatch(subscriber);
            _metrics.Subscriptions.Dec();
            Changed();
            if (_presence is not null)
            {
                _replica?.Changed();
                if (_presence.Leave(subscriber, ended ? Now : null, _connections))
                {
                    PresenceSent();
                }
                else if (ended && !Timers.IsTimerActive(nameof(PresenceGraceTick)) && _presence.HasLeaving)
                {
                    Timers.StartSingleTimer(nameof(PresenceGraceTick), PresenceGraceTick.Instance, _presenceGrace);
                }
            }
        }
    }

    private void Changed()
    {
        _audience = new TopicAudience(_name, _keepsLatest, _subscribers);
        _connections = _presence is null ? [] : [.. _subscribers.Where(pair => pair.Value.Format is not null).Select(pair => pair.Key)];
        _patternVersion = -1; // who of the wildcard subscribers is subscribed by name too may have changed
        if (IsIdle)
        {
            StartIdleTimer();
        }
        else
        {
            Timers.Cancel(nameof(IdleTick));
        }

        _reach.SubscribersChanged(_subscribers.Count);
        _stream?.SubscribersChanged(_subscribers.Count);
    }

    private void StartIdleTimer() => Timers.StartSingleTimer(nameof(IdleTick), IdleTick.Instance, _idleTimeout);

    private void Ack(object? ack)
    {
        if (ack is not null)
        {
            Sender.Tell(ack);
        }
    }
}

/// <summary>Whom a topic actor delivers messages to.</summary>
internal enum Audience
{
    /// <summary>Its subscribers and this node's matching wildcard subscribers: a publish made or sequenced here.</summary>
    All,

    /// <summary>Its subscribers only: messages from another node, whose wildcard subscribers here get them on their own way.</summary>
    Subscribers,

    /// <summary>This node's matching wildcard subscribers only: a <see cref="PatternBatch"/>.</summary>
    Patterns,
}
