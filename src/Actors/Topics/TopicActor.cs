using ActorSocket.Actors.Cluster;
using ActorSocket.Actors.Metrics;
using Akka.Actor;

namespace ActorSocket.Actors.Topics;

/// <summary>
/// One topic on this node: its subscribers, watched so that a subscriber that stops (a connection
/// that vanished) leaves no subscription behind. Empty for its idle timeout, it asks its registry
/// to stop it; the registry's handshake makes a subscribe racing with that stop safe. In cluster
/// mode it also speaks for this node to the rest of the cluster (see TopicActor.Cluster.cs).
/// </summary>
internal sealed partial class TopicActor : UntypedActor, IWithTimers
{
    private readonly string _name;
    private readonly TimeSpan _idleTimeout;
    private readonly ServerMetrics _metrics;
    private readonly HashSet<IActorRef> _subscribers = [];
    private readonly HashSet<IActorRef> _takesBatches = [];
    private IActorRef[] _snapshot = [];
    private IActorRef[] _batchSnapshot = [];
    private IActorRef[] _singleSnapshot = [];

    public TopicActor(string name, TimeSpan idleTimeout, ServerMetrics metrics, ClusterBridge? cluster)
    {
        _name = name;
        _idleTimeout = idleTimeout;
        _metrics = metrics;
        _cluster = cluster;
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string name, TimeSpan idleTimeout, ServerMetrics metrics, ClusterBridge? cluster) =>
        Akka.Actor.Props.Create(() => new TopicActor(name, idleTimeout, metrics, cluster));

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
        _metrics.Subscriptions.Dec(_subscribers.Count);
        if (_cluster is not null)
        {
            FlushBatch();
            Unregister();
        }
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Topic.Publish publish:
                Deliver(publish.Message);
                if (_cluster is null)
                {
                    Ack(publish.Ack);
                }
                else
                {
                    AddToBatch(publish);
                }

                break;
            case Topic.Subscribe subscribe:
                if (_subscribers.Add(subscribe.Subscriber))
                {
                    if (subscribe.AcceptsBatches)
                    {
                        _takesBatches.Add(subscribe.Subscriber);
                    }

                    Context.Watch(subscribe.Subscriber);
                    _metrics.Subscriptions.Inc();
                    Changed();
                }

                if (_cluster is null)
                {
                    Ack(subscribe.Ack);
                }
                else
                {
                    AckWhenConfirmed(subscribe.Ack);
                }

                break;
            case Topic.Unsubscribe unsubscribe:
                Remove(unsubscribe.Subscriber);
                Ack(unsubscribe.Ack);
                break;
            case Terminated terminated:
                Remove(terminated.ActorRef);
                break;
            case IdleTick:
                if (_subscribers.Count == 0)
                {
                    Context.Parent.Tell(new Idle(_name));
                }

                break;
            case StopIfIdle:
                if (_subscribers.Count == 0)
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
                if (_cluster is null || !OnClusterMessage(message))
                {
                    Unhandled(message);
                }

                break;
        }
    }

    private void Deliver(TopicMessage message)
    {
        IActorRef[] subscribers = _snapshot;
        for (int i = 0; i < subscribers.Length; i++)
        {
            subscribers[i].Tell(message, ActorRefs.NoSender);
        }

        _metrics.Deliveries.Inc(subscribers.Length);
    }

    /// <summary>Several messages: one envelope each to subscribers that take batches, one per message to the others.</summary>
    private void Deliver(IReadOnlyList<TopicMessage> messages)
    {
        if (messages.Count == 1)
        {
            Deliver(messages[0]);
            return;
        }

        var batch = new TopicMessages(messages);
        foreach (IActorRef subscriber in _batchSnapshot)
        {
            subscriber.Tell(batch, ActorRefs.NoSender);
        }

        foreach (IActorRef subscriber in _singleSnapshot)
        {
            foreach (TopicMessage message in messages)
            {
                subscriber.Tell(message, ActorRefs.NoSender);
            }
        }

        _metrics.Deliveries.Inc(_snapshot.Length * messages.Count);
    }

    private void Remove(IActorRef subscriber)
    {
        if (_subscribers.Remove(subscriber))
        {
            _takesBatches.Remove(subscriber);
            Context.Unwatch(subscriber);
            _metrics.Subscriptions.Dec();
            Changed();
        }
    }

    private void Changed()
    {
        // Publishes iterate an array: cheaper than a HashSet enumerator, rebuilt only on change.
        _snapshot = [.. _subscribers];
        _batchSnapshot = [.. _takesBatches];
        _singleSnapshot = [.. _subscribers.Where(subscriber => !_takesBatches.Contains(subscriber))];
        _stopping = false;
        if (_subscribers.Count == 0)
        {
            StartIdleTimer();
            Unregister();
        }
        else
        {
            Timers.Cancel(nameof(IdleTick));
            Register();
        }
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
