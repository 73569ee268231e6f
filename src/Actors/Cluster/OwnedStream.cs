using ActorSocket.Actors.Metrics;
using ActorSocket.Actors.Topics;
using ActorSocket.Protocol.PubSub;
using Akka.Actor;
using Akka.Event;

namespace ActorSocket.Actors.Cluster;

/// <summary>
/// The stream of a topic with history in a cluster, as one node's topic actor sees it: the stream
/// lives in the topic's <see cref="TopicOwner"/> (a sharding entity somewhere in the cluster). This
/// node's topic actor follows it while it has subscribers, delivering the owner's messages to them
/// in offset order, and sends the owner every publish and history read made here.
/// </summary>
/// <remarks>
/// <para>
/// Order without gaps or duplicates comes from one rule: the owner answers a join on the same path,
/// from the same actor, as it sends the stream's messages, so a join's answer names the offset up to
/// which this node has received everything and after which everything follows. A subscribe (with or
/// without <c>since</c>) therefore takes effect when its answer arrives: the acknowledgement, then
/// the missed messages, then the live stream.
/// </para>
/// <para>
/// When the owner dies its node's shards move: the owner is watched, and on its termination this
/// node joins the new owner (a new stream: a new epoch, offsets from 1) and delivers what that
/// stream already holds; publishes not yet acknowledged by the lost owner are answered
/// <c>unavailable</c> and counted (they may or may not have reached the subscribers).
/// </para>
/// </remarks>
internal sealed class OwnedStream : ITopicStream
{
    private readonly OwnerLink _link;
    private readonly TopicActor _topic;
    private readonly IActorContext _context;
    private readonly string _name;
    private readonly IActorRef _owners;
    private readonly Dictionary<long, (Topic.Subscribe Subscribe, IActorRef Sender, DateTimeOffset Sent)> _joins = [];
    private readonly Dictionary<long, (IActorRef Sender, object? Ack, DateTimeOffset Sent, bool WantsPosition)> _publishes = [];
    private readonly Dictionary<long, (Topic.History Request, IActorRef Sender, DateTimeOffset Sent)> _reads = [];
    private bool _retrying;
    private long _correlation;
    private long _rejoin = -1;
    private IActorRef? _owner;
    private bool _following;
    private string _epoch = string.Empty;
    private long _next;

    public OwnedStream(OwnerLink link, TopicActor topic, IActorContext context, string name)
    {
        _link = link;
        _topic = topic;
        _context = context;
        _name = name;
        _owners = link.Owners;
    }

    /// <inheritdoc />
    public bool KeepsTopic => _joins.Count > 0 || _publishes.Count > 0 || _reads.Count > 0;

    private IActorRef Self => _context.Self;

    /// <inheritdoc />
    public void Publish(Topic.Publish publish, IActorRef sender)
    {
        long correlation = ++_correlation;
        _publishes[correlation] = (sender, publish.Ack, _topic.Now, publish.WantsPosition);
        _owners.Tell(new OwnerPublish(_name, publish.Message, correlation), Self);
        StartRetrying();
    }

    /// <inheritdoc />
    public void Subscribe(Topic.Subscribe subscribe, IActorRef sender)
    {
        if (_following && subscribe.Since is null && _rejoin < 0)
        {
            // Following already: everything up to _next - 1 was delivered here, everything after follows.
            _topic.AddSubscriber(subscribe);
            if (subscribe.Ack is not null)
            {
                sender.Tell(new Topic.Subscribed(subscribe.Ack, new PubSubPosition(_epoch, _next - 1), null));
            }

            return;
        }

        long correlation = ++_correlation;
        _joins[correlation] = (subscribe, sender, _topic.Now);
        _owners.Tell(new OwnerJoin(_name, Self, subscribe.Since, correlation, Rejoin: false), Self);
        StartRetrying();
    }

    /// <inheritdoc />
    public void History(Topic.History request, IActorRef sender)
    {
        long correlation = ++_correlation;
        _reads[correlation] = (request, sender, _topic.Now);
        _owners.Tell(new OwnerHistory(_name, request.Limit, request.Since, correlation), Self);
        StartRetrying();
    }

    /// <inheritdoc />
    public void Left(IActorRef subscriber)
    {
        foreach (long correlation in _joins.Where(join => join.Value.Subscribe.Subscriber.Equals(subscriber)).Select(join => join.Key).ToList())
        {
            // Its answer will still come: it must not subscribe anyone any more, but its sender still
            // gets its acknowledgement (a connection counts every request it has not had answered).
            (Topic.Subscribe subscribe, IActorRef sender, DateTimeOffset sent) = _joins[correlation];
            _joins[correlation] = (subscribe with { Subscriber = ActorRefs.Nobody }, sender, sent);
        }
    }

    /// <inheritdoc />
    public void SubscribersChanged(int count)
    {
        if (count == 0 && _following && _joins.Count == 0)
        {
            _owners.Tell(new OwnerLeave(_name, Self), Self);
            _following = false;
            Unwatch();
        }
    }

    /// <inheritdoc />
    public bool Handle(object message)
    {
        switch (message)
        {
            case OwnerMessages messages:
                Receive(messages);
                return true;
            case OwnerJoined answer when _reads.Remove(answer.Correlation, out var read):
                read.Sender.Tell(new Topic.HistoryRead(read.Request.Ack, _name, answer.Position, answer.Recovered, answer.Messages));
                _topic.MaybeIdle();
                return true;
            case OwnerJoined answer:
                Joined(answer, _context.Sender);
                return true;
            case OwnerAppended appended:
                for (int i = 0; i < appended.Correlations.Count; i++)
                {
                    if (!_publishes.Remove(appended.Correlations[i], out var publish))
                    {
                        continue;
                    }

                    if (publish.WantsPosition && i < appended.Offsets.Count)
                    {
                        publish.Sender.Tell(new Topic.Published(publish.Ack, new PubSubPosition(appended.Epoch, appended.Offsets[i])));
                    }
                    else if (publish.Ack is not null)
                    {
                        publish.Sender.Tell(publish.Ack);
                    }
                }

                _topic.MaybeIdle();
                return true;
            case Terminated terminated when terminated.ActorRef.Equals(_owner):
                OwnerLost();
                return true;
            case RetryTick:
                Retry();
                return true;
            case OwnerRefused refused:
                Refused(refused.Correlation, refused.Reason);
                return true;
            default:
                return false;
        }
    }

    /// <inheritdoc />
    public void Stopped()
    {
        if (_following)
        {
            _owners.Tell(new OwnerLeave(_name, Self), ActorRefs.NoSender);
        }
    }

    /// <summary>
    /// The owner did not take a request (its node holds all the owners it may, or the topic's store
    /// cannot be reached): it is answered unavailable (a rejoin is asked again).
    /// </summary>
    private void Refused(long correlation, OwnerRefusal reason)
    {
        string why = reason switch
        {
            OwnerRefusal.StoreUnavailable => "the store of durable topic " + _name + " cannot be reached; retry later",
            OwnerRefusal.InDoubt => "the store of durable topic " + _name + " failed while this publish was written; it may or may not have been kept",
            _ => "the node that would order this topic holds its maximum of topics; retry later",
        };
        if (_publishes.Remove(correlation, out var publish))
        {
            publish.Sender.Tell(new TopicRefused(publish.Ack, PubSubError.Unavailable, why));
        }
        else if (_reads.Remove(correlation, out var read))
        {
            read.Sender.Tell(new TopicRefused(read.Request.Ack, PubSubError.Unavailable, why));
        }
        else if (_joins.Remove(correlation, out var join))
        {
            join.Sender.Tell(new TopicRefused(join.Subscribe.Ack, PubSubError.Unavailable, why));
        }

        _topic.MaybeIdle();
    }

    private void Joined(OwnerJoined answer, IActorRef owner)
    {
        Watch(owner);
        if (answer.Correlation == _rejoin)
        {
            // A new owner: in a new epoch (in memory), everything it holds is new to every subscriber
            // here; in the same epoch (a durable stream, recovered), what came after the last
            // message delivered here.
            _rejoin = -1;
            if (!string.Equals(answer.Position.Epoch, _epoch, StringComparison.Ordinal))
            {
                _epoch = answer.Position.Epoch;
                _next = 1;
            }

            Deliver(answer.Messages);
            _next = answer.Position.Offset + 1;
            _following = true;
        }
        else if (!_following || answer.Position.Epoch != _epoch)
        {
            _following = true;
            _epoch = answer.Position.Epoch;
            _next = answer.Position.Offset + 1;
        }

        if (!_joins.Remove(answer.Correlation, out var join))
        {
            return;
        }

        (Topic.Subscribe subscribe, IActorRef sender, _) = join;
        if (subscribe.Subscriber.IsNobody())
        {
            // It left before the answer came: acknowledged, not subscribed, nothing replayed.
            if (subscribe.Ack is not null)
            {
                sender.Tell(new Topic.Subscribed(subscribe.Ack, answer.Position, answer.Recovered));
            }

            _topic.MaybeIdle();
            return;
        }

        LocalStream.CountRecovery(_topic.Metrics, answer.Recovered);
        _topic.AddSubscriber(subscribe);
        if (subscribe.Ack is not null)
        {
            sender.Tell(new Topic.Subscribed(subscribe.Ack, answer.Position, answer.Recovered));
        }

        if (answer.Recovered == true && answer.Messages.Count > 0)
        {
            _topic.Replay(subscribe.Subscriber, answer.Messages);
        }
    }

    private void Receive(OwnerMessages messages)
    {
        if (!_following || messages.Epoch != _epoch || _rejoin >= 0)
        {
            return; // from an owner this node no longer follows
        }

        if (_link.AcrossNodes)
        {
            _link.Metrics.ClusterBatchesIn.Inc();
            _link.Metrics.ClusterMessagesIn.Inc(messages.Messages.Count);
        }

        Deliver(messages.Messages);
    }

    /// <summary>Delivers the messages at or after the next offset, in order; older ones were delivered already.</summary>
    private void Deliver(IReadOnlyList<TopicMessage> messages)
    {
        int skip = 0;
        while (skip < messages.Count && messages[skip].Offset < _next)
        {
            skip++;
        }

        if (skip == messages.Count)
        {
            return;
        }

        IReadOnlyList<TopicMessage> fresh = skip == 0 ? messages : [.. messages.Skip(skip)];
        if (fresh[0].Offset != _next)
        {
            _context.GetLogger().Warning("Topic {0}: offsets {1} to {2} never arrived from its owner", _name, _next, fresh[0].Offset - 1);
        }

        _topic.Deliver(fresh, Audience.Subscribers); // wildcard subscribers get them from the owner
        _next = fresh[^1].Offset + 1;
    }

    private void OwnerLost()
    {
        _owner = null;
        _link.Metrics.OwnerHandovers.Inc();
        if (_publishes.Count > 0)
        {
            _link.Metrics.PublishesInDoubt.Inc(_publishes.Count);
            foreach ((IActorRef sender, object? ack, _, _) in _publishes.Values)
            {
                sender.Tell(new TopicRefused(ack, PubSubError.Unavailable, "the node that ordered topic " + _name + " left the cluster before confirming this publish; it may not have been delivered"));
            }

            _publishes.Clear();
        }

        foreach ((Topic.History request, IActorRef sender, _) in _reads.Values)
        {
            sender.Tell(new TopicRefused(request.Ack, PubSubError.Unavailable, "the node that held the history of topic " + _name + " left the cluster; retry"));
        }

        _reads.Clear();
        if (_following)
        {
            // First, so that the new owner answers it before the subscribes asked again below.
            _rejoin = ++_correlation;
            _owners.Tell(new OwnerJoin(_name, Self, null, _rejoin, Rejoin: true), Self);
            StartRetrying();
        }

        foreach ((long correlation, (Topic.Subscribe subscribe, _, _)) in _joins.OrderBy(join => join.Key))
        {
            _owners.Tell(new OwnerJoin(_name, Self, subscribe.Since, correlation, Rejoin: false), Self);
        }
    }

    /// <summary>
    /// What goes to the shard region while an owner's node fails may go to the dead node and be
    /// lost: joins are asked again each second until answered (the owner takes them twice without
    /// harm), and a subscribe, publish or history read unanswered for
    /// <see cref="ClusterTopicSettings.OwnerTimeout"/> is answered <c>unavailable</c> (a publish is
    /// not sent twice: it could be delivered twice).
    /// </summary>
    private void Retry()
    {
        if (_rejoin >= 0)
        {
            _owners.Tell(new OwnerJoin(_name, Self, null, _rejoin, Rejoin: true), Self);
        }

        foreach ((long correlation, (Topic.Subscribe subscribe, _, _)) in _joins.OrderBy(join => join.Key))
        {
            _owners.Tell(new OwnerJoin(_name, Self, subscribe.Since, correlation, Rejoin: false), Self);
        }

        DateTimeOffset expired = _topic.Now - _link.OwnerTimeout;
        foreach (long correlation in _publishes.Where(publish => publish.Value.Sent <= expired).Select(publish => publish.Key).ToList())
        {
            _publishes.Remove(correlation, out var publish);
            _link.Metrics.PublishesInDoubt.Inc();
            publish.Sender.Tell(new TopicRefused(publish.Ack, PubSubError.Unavailable, "the node that orders topic " + _name + " did not confirm this publish in time; it may not have been delivered"));
        }

        foreach (long correlation in _joins.Where(join => join.Value.Sent <= expired).Select(join => join.Key).ToList())
        {
            _joins.Remove(correlation, out var join);
            join.Sender.Tell(new TopicRefused(join.Subscribe.Ack, PubSubError.Unavailable, "the node that orders topic " + _name + " did not answer this subscribe in time; retry"));
        }

        foreach (long correlation in _reads.Where(read => read.Value.Sent <= expired).Select(read => read.Key).ToList())
        {
            _reads.Remove(correlation, out var read);
            read.Sender.Tell(new TopicRefused(read.Request.Ack, PubSubError.Unavailable, "the node that holds the history of topic " + _name + " did not answer in time; retry"));
        }

        if (_rejoin < 0 && !KeepsTopic)
        {
            _retrying = false;
            _topic.Timers.Cancel(nameof(RetryTick));
            _topic.MaybeIdle();
        }
    }

    private void StartRetrying()
    {
        if (!_retrying)
        {
            _retrying = true;
            _topic.Timers.StartPeriodicTimer(nameof(RetryTick), RetryTick.Instance, _link.Retry);
        }
    }

    private sealed class RetryTick
    {
        public static readonly RetryTick Instance = new();
    }

    private void Watch(IActorRef owner)
    {
        if (owner.Equals(_owner) || owner.IsNobody())
        {
            return;
        }

        Unwatch();
        _owner = owner;
        _context.Watch(owner);
    }

    private void Unwatch()
    {
        if (_owner is not null)
        {
            _context.Unwatch(_owner);
            _owner = null;
        }
    }
}

/// <summary>How a node's topic actors reach the owners of topics with history: the shard region (a cluster) or <see cref="LocalOwners"/> (durable topics on one node).</summary>
/// <param name="Owners">Where owner commands go.</param>
/// <param name="Metrics">Where handovers and publishes in doubt are counted.</param>
/// <param name="OwnerTimeout">Longest wait for an owner's answer before the client gets <c>unavailable</c>.</param>
/// <param name="Retry">How often unanswered joins are asked again.</param>
/// <param name="AcrossNodes">Whether the owners' messages cross nodes (counted as cluster traffic).</param>
internal sealed record OwnerLink(IActorRef Owners, ServerMetrics Metrics, TimeSpan OwnerTimeout, TimeSpan Retry, bool AcrossNodes);
