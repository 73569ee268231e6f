using ActorSocket.Actors.Metrics;
using ActorSocket.Actors.Topics;
using Akka.Actor;
using Akka.Cluster.Sharding;

namespace ActorSocket.Actors.Cluster;

/// <summary>
/// The single writer of one topic with history in a cluster: an Akka.Cluster.Sharding entity, so
/// exactly one lives in the cluster at a time and sharding starts it again elsewhere when its node
/// goes. It gives every publish, from any node, the next offset, keeps it in the topic's
/// <see cref="TopicHistory"/>, and sends it once to each node that follows the topic (that node's
/// topic actor delivers to its connections in offset order).
/// </summary>
/// <remarks>
/// In memory, a new incarnation is a new stream: a new epoch, offsets from 1. It lives while a node
/// follows it or its history holds a message, and passivates itself after the idle timeout
/// otherwise. Messages to followers leave in batches, one per follower per mailbox burst; a join is
/// answered only after what is batched went out, so the answer's position is never ahead of what
/// the follower has received.
/// </remarks>
internal sealed class TopicOwner : UntypedActor, IWithTimers
{
    private readonly string _topic;
    private readonly TimeSpan _idleTimeout;
    private readonly ServerMetrics _metrics;
    private readonly TopicHistory _history;
    private readonly HashSet<IActorRef> _followers = [];
    private readonly List<TopicMessage> _batch = [];
    private readonly Dictionary<IActorRef, List<long>> _appended = [];
    private readonly int _maxOwners;
    private bool _flushScheduled;
    private bool _expiryScheduled;
    private bool _refusing;

    public TopicOwner(string topic, NamespaceSettings space, HistoryBudget budget, ServerMetrics metrics, TimeSpan idleTimeout, int maxOwners = int.MaxValue)
    {
        _maxOwners = maxOwners;
        _topic = topic;
        _idleTimeout = idleTimeout;
        _metrics = metrics;
        _history = new TopicHistory(space, budget);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private DateTimeOffset Now => Context.System.Scheduler.Now;

    private bool IsIdle => _followers.Count == 0 && _history.Count == 0;

    /// <summary>The entity props for a topic (the entity id), as the shard region asks for them.</summary>
    /// <param name="namespaces">The namespaces (each owner's history settings).</param>
    /// <param name="budget">The node's history budget.</param>
    /// <param name="metrics">Where owners and recoveries are counted.</param>
    /// <param name="idleTimeout">How long an owner with no follower and no history lives on.</param>
    /// <param name="maxOwners">Owners this node holds at most (<c>pubsub.max-topics</c>): topic names are the clients' to make up.</param>
    public static Func<string, Props> PropsFactory(NamespaceTable namespaces, HistoryBudget budget, ServerMetrics metrics, TimeSpan idleTimeout, int maxOwners = int.MaxValue) =>
        topic => Props.Create(() => new TopicOwner(topic, namespaces.For(topic), budget, metrics, idleTimeout, maxOwners));

    /// <summary>
    /// Starts this node's shard region of topic owners directly (tests); the daemon starts the same
    /// through Akka.Cluster.Hosting. Owners passivate themselves; shards are never rebalanced while
    /// their node lives (<c>akka.cluster.sharding.least-shard-allocation-strategy</c> in
    /// <see cref="ClusterShardingDefaults"/>): in memory a moved owner would lose its history.
    /// </summary>
    public static IActorRef StartRegion(ActorSystem system, NamespaceTable namespaces, HistoryBudget budget, ServerMetrics metrics, TimeSpan idleTimeout, int maxOwners = int.MaxValue)
    {
        ClusterSharding sharding = ClusterSharding.Get(system);
        ClusterShardingSettings settings = ClusterShardingSettings.Create(system).WithPassivateIdleAfter(TimeSpan.Zero).WithRememberEntities(false);
        return sharding.Start(
            TopicOwnerRegion.TypeName,
            PropsFactory(namespaces, budget, metrics, idleTimeout, maxOwners),
            settings,
            new OwnerMessageExtractor(),
            sharding.DefaultShardAllocationStrategy(settings),
            OwnerStop.Instance);
    }

    /// <summary>
    /// The sharding settings topic owners need, part of every cluster node's configuration: no
    /// automatic passivation (an owner with history must outlive two idle minutes), the
    /// least-shard allocation of new shards, and no rebalancing (the old algorithm with no
    /// simultaneous rebalance allowed): an owner moves only when its node leaves or dies.
    /// </summary>
    public const string ClusterShardingDefaults = """
        akka.cluster.sharding {
          # Owners passivate themselves, never while they hold history.
          passivate-idle-entity-after = off
          least-shard-allocation-strategy {
            rebalance-absolute-limit = 0
            max-simultaneous-rebalance = 0
          }
        }
        """;

    private sealed class Flush
    {
        public static readonly Flush Instance = new();
    }

    private sealed class IdleTick
    {
        public static readonly IdleTick Instance = new();
    }

    private sealed class ExpiryTick
    {
        public static readonly ExpiryTick Instance = new();
    }

    protected override void PreStart()
    {
        if (_metrics.TopicOwners.Value >= _maxOwners)
        {
            // Full: this incarnation only refuses what reaches it, then goes; a later one may find room.
            _refusing = true;
            Context.Parent.Tell(new Passivate(OwnerStop.Instance));
            return;
        }

        _metrics.TopicOwners.Inc();
        StartIdleTimer();
    }

    protected override void PostStop()
    {
        if (!_refusing)
        {
            _metrics.TopicOwners.Dec();
        }

        _history.Clear(); // in memory: the stream ends with this incarnation
    }

    protected override void OnReceive(object message)
    {
        if (_refusing)
        {
            Refuse(message);
            return;
        }

        switch (message)
        {
            case OwnerPublish publish:
                _batch.Add(_history.Append(publish.Message, Now));
                if (!_appended.TryGetValue(Sender, out List<long>? correlations))
                {
                    _appended[Sender] = correlations = [];
                }

                correlations.Add(publish.Correlation);
                if (!_flushScheduled)
                {
                    // Behind every publish already in the mailbox: the batch gathers the whole burst.
                    _flushScheduled = true;
                    Self.Tell(Flush.Instance);
                }

                ScheduleExpiry();
                break;
            case Flush:
                _flushScheduled = false;
                FlushBatch();
                break;
            case OwnerJoin join:
                FlushBatch(); // the answer's position must not be ahead of what the follower received
                _history.Expire(Now);
                if (_followers.Add(join.Follower))
                {
                    Context.Watch(join.Follower);
                    Timers.Cancel(nameof(IdleTick));
                }

                if (join.Rejoin)
                {
                    join.Follower.Tell(new OwnerJoined(_topic, join.Correlation, _history.Position, null, _history.Recent(-1)));
                }
                else
                {
                    List<TopicMessage>? missed = join.Since is { } since ? _history.After(since) : null;
                    join.Follower.Tell(new OwnerJoined(_topic, join.Correlation, _history.Position, join.Since is null ? null : missed is not null, missed ?? []));
                }

                break;
            case OwnerLeave leave:
                RemoveFollower(leave.Follower);
                break;
            case Terminated terminated:
                RemoveFollower(terminated.ActorRef);
                break;
            case OwnerHistory request:
                _history.Expire(Now);
                if (request.Since is { } position)
                {
                    List<TopicMessage>? after = _history.After(position, request.Limit);
                    Sender.Tell(new OwnerJoined(_topic, request.Correlation, _history.Position, after is not null, after ?? []));
                }
                else
                {
                    Sender.Tell(new OwnerJoined(_topic, request.Correlation, _history.Position, null, _history.Recent(request.Limit)));
                }

                if (IsIdle)
                {
                    StartIdleTimer();
                }

                break;
            case ExpiryTick:
                _expiryScheduled = false;
                _history.Expire(Now);
                ScheduleExpiry();
                if (IsIdle)
                {
                    StartIdleTimer();
                }

                break;
            case IdleTick:
                if (IsIdle)
                {
                    // Sharding buffers what arrives meanwhile and starts a new stream for it.
                    Context.Parent.Tell(new Passivate(OwnerStop.Instance));
                }

                break;
            case OwnerStop:
                Context.Stop(Self);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Refuse(object message)
    {
        switch (message)
        {
            case OwnerPublish publish:
                Sender.Tell(new OwnerRefused(_topic, publish.Correlation));
                break;
            case OwnerJoin join:
                join.Follower.Tell(new OwnerRefused(_topic, join.Correlation));
                break;
            case OwnerHistory history:
                Sender.Tell(new OwnerRefused(_topic, history.Correlation));
                break;
            case OwnerStop:
                Context.Stop(Self);
                break;
        }
    }

    private void FlushBatch()
    {
        if (_batch.Count > 0)
        {
            var messages = new OwnerMessages(_topic, _history.Epoch, _batch.ToArray());
            foreach (IActorRef follower in _followers)
            {
                follower.Tell(messages);
            }

            _batch.Clear();
        }

        foreach ((IActorRef publisher, List<long> correlations) in _appended)
        {
            publisher.Tell(new OwnerAppended(_topic, correlations));
        }

        _appended.Clear();
    }

    private void RemoveFollower(IActorRef follower)
    {
        if (_followers.Remove(follower))
        {
            Context.Unwatch(follower);
            if (IsIdle)
            {
                StartIdleTimer();
            }
        }
    }

    private void ScheduleExpiry()
    {
        if (_expiryScheduled || _history.NextExpiry is not { } expiry)
        {
            return;
        }

        TimeSpan delay = expiry - Now;
        _expiryScheduled = true;
        Timers.StartSingleTimer(nameof(ExpiryTick), ExpiryTick.Instance, delay < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : delay);
    }

    private void StartIdleTimer() => Timers.StartSingleTimer(nameof(IdleTick), IdleTick.Instance, _idleTimeout);
}
