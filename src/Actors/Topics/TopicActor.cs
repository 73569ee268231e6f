using ActorSocket.Actors.Metrics;
using Akka.Actor;

namespace ActorSocket.Actors.Topics;

/// <summary>
/// One topic on this node: its subscribers, watched so that a subscriber that stops (a connection
/// that vanished) leaves no subscription behind. Empty for its idle timeout, it asks its registry
/// to stop it; the registry's handshake makes a subscribe racing with that stop safe.
/// </summary>
internal sealed class TopicActor : UntypedActor, IWithTimers
{
    private readonly string _name;
    private readonly TimeSpan _idleTimeout;
    private readonly ServerMetrics _metrics;
    private readonly HashSet<IActorRef> _subscribers = [];
    private IActorRef[] _snapshot = [];

    public TopicActor(string name, TimeSpan idleTimeout, ServerMetrics metrics)
    {
        _name = name;
        _idleTimeout = idleTimeout;
        _metrics = metrics;
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string name, TimeSpan idleTimeout, ServerMetrics metrics) =>
        Akka.Actor.Props.Create(() => new TopicActor(name, idleTimeout, metrics));

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

    protected override void PostStop() => _metrics.Subscriptions.Dec(_subscribers.Count);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Topic.Publish publish:
                IActorRef[] subscribers = _snapshot;
                for (int i = 0; i < subscribers.Length; i++)
                {
                    subscribers[i].Tell(publish.Message, ActorRefs.NoSender);
                }

                _metrics.Deliveries.Inc(subscribers.Length);
                Ack(publish.Ack);
                break;
            case Topic.Subscribe subscribe:
                if (_subscribers.Add(subscribe.Subscriber))
                {
                    Context.Watch(subscribe.Subscriber);
                    _metrics.Subscriptions.Inc();
                    Changed();
                }

                Ack(subscribe.Ack);
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
                    Context.Stop(Self);
                }
                else
                {
                    Sender.Tell(new StillActive(_name));
                }

                break;
            default:
                Unhandled(message);
                break;
        }
    }

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
        // Publishes iterate an array: cheaper than a HashSet enumerator, rebuilt only on change.
        _snapshot = [.. _subscribers];
        if (_subscribers.Count == 0)
        {
            StartIdleTimer();
        }
        else
        {
            Timers.Cancel(nameof(IdleTick));
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
