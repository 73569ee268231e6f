using ActorSocket.Actors.Metrics;
using ActorSocket.Protocol.PubSub;
using Akka.Actor;

namespace ActorSocket.Actors.Topics;

/// <summary>
/// Where a topic with history has its stream (offsets, epoch, history): in its topic actor on a
/// single node (<see cref="LocalStream"/>), or in the topic's owner somewhere in the cluster, which
/// the node's topic actor follows (<see cref="Cluster.OwnedStream"/>). The topic actor hands it every
/// publish, subscribe and history read of the topic; the stream decides when each takes effect and
/// calls back into the topic actor to add subscribers and deliver.
/// </summary>
internal interface ITopicStream
{
    /// <summary>Whether the stream keeps its topic actor alive although nobody here subscribes (history held, requests in flight).</summary>
    bool KeepsTopic { get; }

    /// <summary>A publish on the topic.</summary>
    void Publish(Topic.Publish publish, IActorRef sender);

    /// <summary>A subscribe: the stream adds the subscriber, acknowledges with the position and replays what it missed.</summary>
    void Subscribe(Topic.Subscribe subscribe, IActorRef sender);

    /// <summary>A history read.</summary>
    void History(Topic.History request, IActorRef sender);

    /// <summary>A subscriber left (unsubscribed or stopped): a subscribe of it still in progress is dropped.</summary>
    void Left(IActorRef subscriber);

    /// <summary>The number of this node's subscribers changed.</summary>
    void SubscribersChanged(int count);

    /// <summary>A message meant for the stream; false when it is not one.</summary>
    bool Handle(object message);

    /// <summary>The topic actor stops.</summary>
    void Stopped();
}

/// <summary>The stream of a topic with history on a single node: kept in its topic actor, which is the single writer.</summary>
internal sealed class LocalStream : ITopicStream
{
    private readonly TopicActor _topic;
    private readonly TopicHistory _history;
    private readonly ServerMetrics _metrics;
    private bool _expiryScheduled;

    public LocalStream(TopicActor topic, TopicHistory history, ServerMetrics metrics)
    {
        _topic = topic;
        _history = history;
        _metrics = metrics;
    }

    /// <inheritdoc />
    public bool KeepsTopic => _history.Count > 0;

    /// <inheritdoc />
    public void Publish(Topic.Publish publish, IActorRef sender)
    {
        // Sequenced on arrival; the topic delivers it with its burst, then answers the publisher.
        TopicMessage sequenced = _history.Append(publish.Message, _topic.Now);
        ScheduleExpiry();
        object? reply = publish.WantsPosition ? new Topic.Published(publish.Ack, new PubSubPosition(_history.Epoch, sequenced.Offset)) : publish.Ack;
        _topic.TakeIntoBurst(sequenced, reply, sender);
    }

    /// <inheritdoc />
    public void Subscribe(Topic.Subscribe subscribe, IActorRef sender)
    {
        _history.Expire(_topic.Now);
        List<TopicMessage>? missed = subscribe.Since is { } since ? _history.After(since) : null;
        bool? recovered = subscribe.Since is null ? null : missed is not null;
        CountRecovery(_metrics, recovered);

        // The acknowledgement first, then what was missed, then (later messages) the live stream:
        // this actor is the stream's only writer, so nothing can come between them.
        _topic.AddSubscriber(subscribe);
        if (subscribe.Ack is not null)
        {
            sender.Tell(new Topic.Subscribed(subscribe.Ack, _history.Position, recovered));
        }

        if (missed is { Count: > 0 })
        {
            _topic.Replay(subscribe.Subscriber, missed);
        }
    }

    /// <inheritdoc />
    public void History(Topic.History request, IActorRef sender)
    {
        _history.Expire(_topic.Now);
        if (request.Since is { } since)
        {
            List<TopicMessage>? after = _history.After(since, request.Limit);
            sender.Tell(new Topic.HistoryRead(request.Ack, _topic.Name, _history.Position, after is not null, after ?? []));
        }
        else
        {
            sender.Tell(new Topic.HistoryRead(request.Ack, _topic.Name, _history.Position, null, _history.Recent(request.Limit)));
        }
    }

    /// <inheritdoc />
    public void Left(IActorRef subscriber)
    {
    }

    /// <inheritdoc />
    public void SubscribersChanged(int count)
    {
    }

    /// <inheritdoc />
    public bool Handle(object message)
    {
        if (message is not ExpiryTick)
        {
            return false;
        }

        _expiryScheduled = false;
        _history.Expire(_topic.Now);
        ScheduleExpiry();
        _topic.MaybeIdle(); // the history ran out while nobody listened: the topic may go
        return true;
    }

    /// <inheritdoc />
    public void Stopped() => _history.Clear(); // its bytes go back to the node's budget

    /// <summary>Counts a subscribe's recovery by its result (nothing when it asked for none).</summary>
    internal static void CountRecovery(ServerMetrics metrics, bool? recovered)
    {
        if (recovered is { } result)
        {
            metrics.Recoveries.WithLabels(result ? "recovered" : "not_recovered").Inc();
        }
    }

    private void ScheduleExpiry()
    {
        if (_expiryScheduled || _history.NextExpiry is not { } expiry)
        {
            return;
        }

        // At most once a second: reads expire precisely on their own; this only gives memory back.
        TimeSpan delay = expiry - _topic.Now;
        _expiryScheduled = true;
        _topic.Timers.StartSingleTimer(nameof(ExpiryTick), ExpiryTick.Instance, delay < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : delay);
    }

    /// <summary>The oldest kept message's time to live is over.</summary>
    private sealed class ExpiryTick
    {
        public static readonly ExpiryTick Instance = new();
    }
}
