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
    private readonly Dictionary<IActorRef, Subscription> _subscribers = [];
    private Group[] _groups = [];

    private readonly ITopicReach _reach;
    private readonly ITopicStream? _stream;

    // Null: a subscriber that falls behind is closed (version 1). Else whether only the newest
    // waiting frame is kept (latest) or the oldest go first (drop-oldest).
    private readonly bool? _keepsLatest;

    public TopicActor(string name, TimeSpan idleTimeout, ServerMetrics metrics, TopicScope scope, NamespaceSettings? space = null, HistoryBudget? budget = null)
    {
        _name = name;
        _idleTimeout = idleTimeout;
        _metrics = metrics;
        _stream = space is { HasHistory: true } ? scope.StreamFor(this, Context, name, space, budget ?? new HistoryBudget(long.MaxValue)) : null;

        _keepsLatest = space?.SlowConsumer switch
        {
            SlowConsumerPolicy.Latest => true,
            SlowConsumerPolicy.DropOldest => false,
            _ => null,
        };

        // A topic with history reaches other nodes through its stream's owner, not the mediator.
        _reach = _stream is null ? scope.ReachFor(this, Context, name) : LocalReach.Instance;
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
    private bool IsIdle => _subscribers.Count == 0 && _stream?.KeepsTopic != true;

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

    private sealed class IdleTick
    {
        public static readonly IdleTick Instance = new();
    }

    protected override void PreStart() => StartIdleTimer();

    protected override void PostStop()
    {
        _stream?.Stopped();
        _metrics.Subscriptions.Dec(_subscribers.Count);
        _reach.Stopped(); // a pending batch goes to the cluster: nothing published is left behind
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Topic.Publish publish when _stream is not null:
                _stream.Publish(publish, Sender);
                break;
            case Topic.Publish publish:
                Deliver(publish.Message);
                _reach.Published(publish.Message, publish.Ack, Sender);
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
                Remove(unsubscribe.Subscriber);
                Ack(unsubscribe.Ack);
                break;
            case Terminated terminated when !_subscribers.ContainsKey(terminated.ActorRef) && _stream?.Handle(message) == true:
                break; // the stream's owner
            case Terminated terminated:
                _stream?.Left(terminated.ActorRef);
                Remove(terminated.ActorRef);
                break;
            case IdleTick:
                if (IsIdle)
                {
                    Context.Parent.Tell(new Idle(_name));
                }

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
                if (_stream?.Handle(message) != true && !_reach.Handle(message))
                {
                    Unhandled(message);
                }

                break;
        }
    }

    /// <summary>
    /// One message to every subscriber: the message itself to those without a format, and to those
    /// with one the frame of their format, encoded once here and shared.
    /// </summary>
    internal void Deliver(TopicMessage message)
    {
        IActorRef? skip = message.Origin != 0 ? SubscriberOf(message.Origin) : null;
        Group[] groups = _groups;
        int delivered = 0;
        for (int g = 0; g < groups.Length; g++)
        {
            Group group = groups[g];
            object envelope = group.Format is null ? message : Frame(group.Format.FrameFor(message));
            IActorRef[] subscribers = group.All;
            for (int i = 0; i < subscribers.Length; i++)
            {
                if (!ReferenceEquals(subscribers[i], skip))
                {
                    subscribers[i].Tell(envelope, ActorRefs.NoSender);
                }
            }

            delivered += subscribers.Length;
        }

        _metrics.Deliveries.Inc(skip is null ? delivered : delivered - 1);
    }

    /// <summary>Several messages: one envelope each to subscribers that take batches, one per message to the others.</summary>
    internal void Deliver(IReadOnlyList<TopicMessage> messages)
    {
        if (messages.Count == 1)
        {
            Deliver(messages[0]);
            return;
        }

        // Publishers that asked not to get their own messages back take the batch without them.
        HashSet<IActorRef>? skipped = null;
        foreach (TopicMessage message in messages)
        {
            if (message.Origin != 0 && SubscriberOf(message.Origin) is { } publisher)
            {
                (skipped ??= []).Add(publisher);
            }
        }

        int delivered = 0;
        foreach (Group group in _groups)
        {
            object batch;
            object[] singles;
            if (group.Format is null)
            {
                batch = new TopicMessages(messages);
                singles = [.. messages];
            }
            else
            {
                byte[][] frames = new byte[messages.Count][];
                for (int i = 0; i < frames.Length; i++)
                {
                    frames[i] = group.Format.FrameFor(messages[i]);
                }

                batch = Frames(frames);
                singles = group.Singles.Length == 0 ? [] : [.. frames.Select(Frame)];
            }

            foreach (IActorRef subscriber in group.Batches)
            {
                if (skipped?.Contains(subscriber) != true)
                {
                    subscriber.Tell(batch, ActorRefs.NoSender);
                }
            }

            foreach (IActorRef subscriber in group.Singles)
            {
                if (skipped?.Contains(subscriber) == true)
                {
                    continue;
                }

                foreach (object single in singles)
                {
                    subscriber.Tell(single, ActorRefs.NoSender);
                }
            }

            delivered += group.All.Length * messages.Count;
        }

        if (skipped is not null)
        {
            foreach (IActorRef publisher in skipped)
            {
                long origin = _subscribers[publisher].Origin;
                TopicMessage[] others = [.. messages.Where(message => message.Origin != origin)];
                delivered -= messages.Count - others.Length;
                if (others.Length > 0)
                {
                    Send(publisher, _subscribers[publisher], others, underPolicy: true);
                }
            }
        }

        _metrics.Deliveries.Inc(delivered);
    }

    /// <summary>
    /// The subscriber whose connection has <paramref name="origin"/>, if it is here. A scan: it costs
    /// what the delivery it precedes costs, and only publishes with <c>"echo": false</c> pay it.
    /// </summary>
    private IActorRef? SubscriberOf(long origin)
    {
        foreach (KeyValuePair<IActorRef, Subscription> pair in _subscribers)
        {
            if (pair.Value.Origin == origin)
            {
                return pair.Key;
            }
        }

        return null;
    }

    /// <summary>
    /// Messages to one subscriber alone, in its format: under its namespace's slow-consumer policy
    /// (<paramref name="underPolicy"/>, live messages), or as frames it must not lose (a replay).
    /// </summary>
    private void Send(IActorRef subscriber, Subscription subscription, IReadOnlyList<TopicMessage> messages, bool underPolicy)
    {
        if (subscription.Format is not { } format)
        {
            if (subscription.Batches)
            {
                subscriber.Tell(new TopicMessages(messages), ActorRefs.NoSender);
            }
            else
            {
                foreach (TopicMessage message in messages)
                {
                    subscriber.Tell(message, ActorRefs.NoSender);
                }
            }
        }
        else if (subscription.Batches)
        {
            byte[][] frames = [.. messages.Select(format.FrameFor)];
            subscriber.Tell(underPolicy ? Frames(frames) : new Handlers.Connection.SendEncodedFrames(frames), ActorRefs.NoSender);
        }
        else
        {
            foreach (TopicMessage message in messages)
            {
                byte[] frame = format.FrameFor(message);
                subscriber.Tell(underPolicy ? Frame(frame) : new Handlers.Connection.SendEncodedFrame(frame), ActorRefs.NoSender);
            }
        }
    }

    /// <summary>Adds (or updates) the subscriber of <paramref name="subscribe"/>: every later delivery reaches it.</summary>
    internal void AddSubscriber(Topic.Subscribe subscribe)
    {
        var subscription = new Subscription(subscribe.AcceptsBatches, subscribe.Format, subscribe.Origin);

        if (_subscribers.TryGetValue(subscribe.Subscriber, out Subscription? existing))
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
        if (_subscribers.TryGetValue(subscriber, out Subscription? subscription))
        {
            Send(subscriber, subscription, messages, underPolicy: false);
        }
    }

    /// <summary>
    /// Frames for a connection: as they are, or, where the namespace lets a subscriber that falls
    /// behind lose messages rather than its connection, marked with the topic and its policy.
    /// </summary>
    private Handlers.Connection.ICommand Frame(byte[] frame) =>
        _keepsLatest is { } latest ? new Handlers.Connection.SendTopicFrames([frame], _name, latest) : new Handlers.Connection.SendEncodedFrame(frame);

    /// <summary>As <see cref="Frame"/>, for several frames in order.</summary>
    private Handlers.Connection.ICommand Frames(byte[][] frames) => _keepsLatest switch
    {
        null when frames.Length == 1 => new Handlers.Connection.SendEncodedFrame(frames[0]),
        null => new Handlers.Connection.SendEncodedFrames(frames),
        { } latest => new Handlers.Connection.SendTopicFrames(frames, _name, latest),
    };

    private void Remove(IActorRef subscriber)
    {
        if (_subscribers.Remove(subscriber))
        {
            Context.Unwatch(subscriber);
            _metrics.Subscriptions.Dec();
            Changed();
        }
    }

    private void Changed()
    {
        // Publishes iterate arrays, one group per format: cheaper than a dictionary enumerator, rebuilt only on change.
        _groups = [.. _subscribers
            .GroupBy(pair => pair.Value.Format)
            .Select(group => new Group(
                group.Key,
                [.. group.Where(pair => !pair.Value.Batches).Select(pair => pair.Key)],
                [.. group.Where(pair => pair.Value.Batches).Select(pair => pair.Key)]))];
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

    /// <summary>How one subscriber takes its messages.</summary>
    private sealed record Subscription(bool Batches, TopicFrameFormat? Format, long Origin);

    /// <summary>The subscribers of one format (null: the message itself), split by whether they take batches.</summary>
    private sealed class Group(TopicFrameFormat? format, IActorRef[] singles, IActorRef[] batches)
    {
        public TopicFrameFormat? Format { get; } = format;

        public IActorRef[] Singles { get; } = singles;

        public IActorRef[] Batches { get; } = batches;

        public IActorRef[] All { get; } = [.. singles, .. batches];
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
