using ActorSocket.Actors.Cluster;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;

namespace ActorSocket.Actors.Topics;

/// <summary>
/// A topic's reach in cluster mode. While the topic has local subscribers its actor is subscribed to the
/// DistributedPubSub mediator (once, whatever their number); local publishes are delivered here at
/// once and go to the other nodes in batches, one mediator publish per mailbox burst.
/// </summary>
/// <remarks>
/// A subscribe ack must mean that every later publish reaches the subscriber, on any node. The
/// mediator's registry spreads by gossip, so after the local mediator's SubscribeAck this actor asks
/// every other reachable member to publish a <see cref="ConfirmEcho"/> on the topic; an echo that
/// arrives proves that member's mediator routes the topic here, and pending acks go out when every
/// member has answered (or left, or become unreachable), at the latest after the confirm timeout.
/// </remarks>
internal sealed class ClusterReach : ITopicReach
{
    private readonly ClusterBridge _cluster;
    private readonly TopicActor _topic;
    private readonly IActorContext _context;
    private readonly string _name;
    private readonly List<TopicMessage> _batch = [];
    private readonly List<(IActorRef Sender, object Ack)> _publishAcks = [];
    private readonly List<(IActorRef Sender, object Ack)> _subscribeAcks = [];
    private int _batchBytes;
    private bool _flushScheduled;
    private bool _registered;
    private int _unansweredSubscribes;
    private bool _confirmed;
    private long _nonce;
    private HashSet<string>? _awaiting;

    public ClusterReach(ClusterBridge cluster, TopicActor topic, IActorContext context, string name)
    {
        _cluster = cluster;
        _topic = topic;
        _context = context;
        _name = name;
    }

    private IActorRef Self => _context.Self;

    private ITimerScheduler Timers => _topic.Timers;

    /// <inheritdoc />
    public void Published(TopicMessage message, object? ack, IActorRef sender) => AddToBatch(message, ack, sender);

    /// <inheritdoc />
    public void Subscribed(object? ack, IActorRef sender) => AckWhenConfirmed(ack, sender);

    /// <inheritdoc />
    public void SubscribersChanged(int count)
    {
        _stopping = false;
        if (count == 0)
        {
            Unregister();
        }
        else
        {
            Register();
        }
    }

    /// <inheritdoc />
    public void Stopped()
    {
        FlushBatch();
        Unregister();
    }

    private sealed class Flush
    {
        public static readonly Flush Instance = new();
    }

    private sealed class ConfirmRetry
    {
        public static readonly ConfirmRetry Instance = new();
    }

    private sealed class ConfirmTimeout
    {
        public static readonly ConfirmTimeout Instance = new();
    }

    /// <inheritdoc />
    public bool Handle(object message)
    {
        switch (message)
        {
            case Flush:
                _flushScheduled = false;
                FlushBatch();
                return true;
            case TopicBatch batch:
                if (batch.Origin != _cluster.NodeId)
                {
                    // Our own batches come back from the local mediator: delivered already, skipped.
                    _cluster.Metrics.ClusterBatchesIn.Inc();
                    _cluster.Metrics.ClusterMessagesIn.Inc(batch.Messages.Count);
                    _topic.Deliver(batch.Messages, Audience.Subscribers); // wildcard subscribers here get a PatternBatch
                }

                return true;
            case SubscribeAck:
                if (--_unansweredSubscribes == 0 && _registered)
                {
                    StartConfirming();
                }

                return true;
            case UnsubscribeAck:
                return true;
            case ConfirmEcho echo:
                if (echo.Origin == _cluster.NodeId && echo.Nonce == _nonce && _awaiting is not null
                    && _awaiting.Remove(echo.Responder) && _awaiting.Count == 0)
                {
                    Confirmed();
                }

                return true;
            case ConfirmRetry when _awaiting is not null:
                // Members that left or became unreachable cannot answer; the rest are asked again.
                _awaiting.IntersectWith(_cluster.OtherMembers().Select(address => address.ToString()));
                if (_awaiting.Count == 0)
                {
                    Confirmed();
                }
                else
                {
                    AskForEchoes();
                }

                return true;
            case ConfirmTimeout when _awaiting is not null:
                _cluster.Metrics.ClusterConfirmTimeouts.Inc();
                _context.GetLogger().Warning(
                    "Topic {0}: acknowledging subscriptions although {1} did not confirm within {2}",
                    _name,
                    string.Join(", ", _awaiting),
                    _cluster.Settings.ConfirmTimeout);
                Confirmed();
                return true;
            case ConfirmRetry or ConfirmTimeout:
                return true;
            default:
                return false;
        }
    }

    // The registry was asked to stop this publish-only topic; a subscriber arriving meanwhile resets it.
    private bool _stopping;

    private void AddToBatch(TopicMessage message, object? ack, IActorRef sender)
    {
        _batch.Add(message);
        _batchBytes += message.Data.Length;
        if (ack is not null)
        {
            _publishAcks.Add((sender, ack));
        }

        if (_batch.Count >= _cluster.Settings.BatchMaxMessages || _batchBytes >= _cluster.Settings.BatchMaxBytes)
        {
            FlushBatch();
        }
        else if (!_flushScheduled)
        {
            // Behind every publish already in the mailbox: the batch gathers the whole burst.
            _flushScheduled = true;
            Self.Tell(Flush.Instance);
        }
    }

    private void FlushBatch()
    {
        if (_batch.Count > 0)
        {
            TopicMessage[] messages = _batch.ToArray();
            _cluster.Mediator.Tell(new Publish(_name, new TopicBatch(_cluster.NodeId, _name, messages)));

            // The nodes whose wildcard subscribers take the topic: once each, beside the mediator's
            // nodes (a node in both sorts the two out: subscribers by name take the mediator's).
            IReadOnlyList<IActorRef> patternNodes = _topic.PatternNodes();
            if (patternNodes.Count > 0)
            {
                var patternBatch = new PatternBatch(_name, messages);
                foreach (IActorRef node in patternNodes)
                {
                    node.Tell(patternBatch, ActorRefs.NoSender);
                }

                _cluster.Metrics.ClusterBatchesOut.Inc(patternNodes.Count);
            }

            _cluster.Metrics.ClusterBatchesOut.Inc();
            _cluster.Metrics.ClusterMessagesOut.Inc(_batch.Count);
            _batch.Clear();
            _batchBytes = 0;
        }

        // A publish is acknowledged once it is delivered here and handed to the cluster.
        SendAcks(_publishAcks);
        if (_topic.SubscriberCount == 0 && !_stopping)
        {
            // Only publishes, nobody here listens: nothing to keep until the idle timeout, so the
            // stop handshake starts now (a burst of made-up topic names leaves no actors behind).
            _stopping = true;
            _context.Parent.Tell(new TopicActor.Idle(_name));
        }
    }

    private void Register()
    {
        if (_registered)
        {
            return;
        }

        _registered = true;
        _confirmed = false;
        _unansweredSubscribes++;
        _cluster.Mediator.Tell(new Subscribe(_name, Self));
    }

    private void Unregister()
    {
        if (!_registered)
        {
            return;
        }

        _registered = false;
        _confirmed = false;
        _awaiting = null;
        Timers.Cancel(nameof(ConfirmRetry));
        Timers.Cancel(nameof(ConfirmTimeout));
        // Those subscribers came and went before confirmation; their subscribes did take effect here.
        SendAcks(_subscribeAcks);
        _cluster.Mediator.Tell(new Unsubscribe(_name, Self));
    }

    private void AckWhenConfirmed(object? ack, IActorRef sender)
    {
        if (ack is null)
        {
            return;
        }

        if (_confirmed || !_registered)
        {
            sender.Tell(ack);
        }
        else
        {
            _subscribeAcks.Add((sender, ack));
        }
    }

    private void StartConfirming()
    {
        _nonce++;
        _awaiting = [.. _cluster.OtherMembers().Select(address => address.ToString())];
        if (_awaiting.Count == 0)
        {
            Confirmed();
            return;
        }

        AskForEchoes();
        Timers.StartPeriodicTimer(nameof(ConfirmRetry), ConfirmRetry.Instance, _cluster.Settings.ConfirmRetry);
        Timers.StartSingleTimer(nameof(ConfirmTimeout), ConfirmTimeout.Instance, _cluster.Settings.ConfirmTimeout);
    }

    private void AskForEchoes()
    {
        var request = new ConfirmRequest(_name, _cluster.NodeId, _nonce);
        foreach (string member in _awaiting!)
        {
            // The registry has the same path on every node.
            _context.ActorSelection(member + _context.Parent.Path.ToStringWithoutAddress()).Tell(request);
        }
    }

    private void Confirmed()
    {
        _confirmed = true;
        _awaiting = null;
        Timers.Cancel(nameof(ConfirmRetry));
        Timers.Cancel(nameof(ConfirmTimeout));
        SendAcks(_subscribeAcks);
    }

    private static void SendAcks(List<(IActorRef Sender, object Ack)> acks)
    {
        foreach ((IActorRef sender, object ack) in acks)
        {
            sender.Tell(ack);
        }

        acks.Clear();
    }
}
