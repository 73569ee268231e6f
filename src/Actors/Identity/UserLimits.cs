using ActorSocket.Actors.Cluster;
using ActorSocket.Actors.Metrics;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;

namespace ActorSocket.Actors.Identity;

/// <summary>
/// Asks for one token of <paramref name="User"/>'s bucket: answered with a <see cref="UserVerdict"/>.
/// </summary>
/// <param name="User">The user (a token's <c>sub</c>).</param>
/// <param name="Correlation">The asker's number for the answer.</param>
/// <param name="PerSecond">The limit's rate (the asker's settings travel with the question).</param>
/// <param name="Burst">The limit's burst.</param>
internal sealed record UserTake(string User, long Correlation, double PerSecond, double Burst) : IClusterTopicMessage;

/// <summary>The answer to a <see cref="UserTake"/>: 0 when a token was taken, else the milliseconds until there is one.</summary>
/// <param name="Correlation">The question's number.</param>
/// <param name="RetryAfterMs">0: go ahead; otherwise when to try again.</param>
internal sealed record UserVerdict(long Correlation, long RetryAfterMs) : IClusterTopicMessage;

/// <summary>The shard region of <see cref="UserBudgets"/> (a key for Akka.Hosting's registry).</summary>
internal sealed class UserBudgetsRegion
{
    /// <summary>The sharding type name, the same on every node.</summary>
    public const string TypeName = "user-budgets";

    /// <summary>Entities: users are spread over this many, each holding the buckets of its users.</summary>
    public const int Groups = 256;
}

/// <summary>Routes a <see cref="UserTake"/> to the entity of its user's group: every node agrees on it.</summary>
internal sealed class UserTakeExtractor() : HashCodeMessageExtractor(UserBudgetsRegion.Groups)
{
    /// <inheritdoc />
    public override string EntityId(object message) =>
        message is UserTake take ? "u" + ((uint)Akka.Util.MurmurHash.StringHash(take.User) % UserBudgetsRegion.Groups).ToString(System.Globalization.CultureInfo.InvariantCulture) : null!;
}

/// <summary>
/// The token buckets of a group of users, one per user, for limits that a user's connections share
/// whatever their number and node: in a cluster an Akka.Cluster.Sharding entity (one per group in
/// the whole cluster, moved when its node goes: its buckets start full again there), on one node a
/// plain actor. A bucket that has filled up again is forgotten (it would answer as a new one does),
/// so memory follows the users who published lately.
/// </summary>
internal sealed class UserBudgets : UntypedActor, IWithTimers
{
    /// <summary>Users one group tracks at most; past it, a user's publishes are let through (and counted), never refused for lack of room.</summary>
    internal const int MaxUsers = 100_000;

    private readonly Dictionary<string, (TokenBucket Bucket, RateLimit Limit)> _users = new(StringComparer.Ordinal);
    private readonly Func<long> _clock;
    private readonly ServerMetrics? _metrics;

    public UserBudgets(Func<long>? clock, ServerMetrics? metrics)
    {
        _clock = clock ?? (static () => Environment.TickCount64);
        _metrics = metrics;
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props of a group.</summary>
    public static Props Props(Func<long>? clock = null, ServerMetrics? metrics = null) => Akka.Actor.Props.Create(() => new UserBudgets(clock, metrics));

    /// <summary>Starts this node's shard region directly (tests); the daemon starts the same through Akka.Cluster.Hosting.</summary>
    public static IActorRef StartRegion(ActorSystem system, Func<long>? clock = null, ServerMetrics? metrics = null)
    {
        ClusterSharding sharding = ClusterSharding.Get(system);
        ClusterShardingSettings settings = ClusterShardingSettings.Create(system).WithRememberEntities(false);
        return sharding.Start(UserBudgetsRegion.TypeName, Props(clock, metrics), settings, new UserTakeExtractor(), sharding.DefaultShardAllocationStrategy(settings), PoisonPill.Instance);
    }

    private sealed class Sweep
    {
        public static readonly Sweep Instance = new();
    }

    protected override void PreStart() => Timers.StartPeriodicTimer(nameof(Sweep), Sweep.Instance, TimeSpan.FromSeconds(10));

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case UserTake take:
                Sender.Tell(new UserVerdict(take.Correlation, Take(take)));
                break;
            case Sweep:
                Forget(_clock());
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private long Take(UserTake take)
    {
        var limit = new RateLimit(take.PerSecond, take.Burst);
        if (!limit.IsSet)
        {
            return 0;
        }

        long now = _clock();
        ref (TokenBucket Bucket, RateLimit Limit) entry = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrNullRef(_users, take.User);
        if (System.Runtime.CompilerServices.Unsafe.IsNullRef(ref entry))
        {
            if (_users.Count >= MaxUsers)
            {
                Forget(now);
                if (_users.Count >= MaxUsers)
                {
                    _metrics?.UserLimitUntracked.Inc();
                    return 0;
                }
            }

            entry = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_users, take.User, out _);
        }

        entry.Limit = limit;
        return entry.Bucket.TryTake(limit, now, out long retryAfter) ? 0 : retryAfter;
    }

    /// <summary>Forgets the users whose buckets are full again.</summary>
    private void Forget(long now)
    {
        foreach ((string user, (TokenBucket bucket, RateLimit limit)) in _users)
        {
            if (bucket.IsFull(limit, now))
            {
                _users.Remove(user);
            }
        }
    }
}

/// <summary>
/// This node's way to the users' buckets: connections ask it, it asks the <see cref="UserBudgets"/>
/// of the user's group (the shard region, or a local actor) and relays the answer. A question
/// unanswered within <see cref="Timeout"/> (the group's node just died, its shard is moving) is
/// answered "go ahead" and counted: a limit that cannot be checked does not stop a user's traffic.
/// Answers to one connection keep the order of its questions.
/// </summary>
internal sealed class UserLimitsGate : UntypedActor, IWithTimers
{
    /// <summary>Longest wait for a group's answer: 2 s, far above a round trip, well under a client's patience.</summary>
    internal static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    private readonly IActorRef? _region;
    private readonly ServerMetrics? _metrics;
    private readonly Dictionary<long, (IActorRef Asker, long Correlation, DateTimeOffset At)> _waiting = [];
    private readonly Queue<long> _order = new();
    private IActorRef _budgets = ActorRefs.Nobody;
    private long _next;

    public UserLimitsGate(IActorRef? region, ServerMetrics? metrics)
    {
        _region = region;
        _metrics = metrics;
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props of the gate: through <paramref name="region"/> in a cluster, or (null) with the buckets of this node alone.</summary>
    public static Props Props(IActorRef? region, ServerMetrics? metrics = null) => Akka.Actor.Props.Create(() => new UserLimitsGate(region, metrics));

    private sealed class Tick
    {
        public static readonly Tick Instance = new();
    }

    protected override void PreStart()
    {
        _budgets = _region ?? Context.ActorOf(UserBudgets.Props(metrics: _metrics), "budgets");
        Timers.StartPeriodicTimer(nameof(Tick), Tick.Instance, TimeSpan.FromMilliseconds(500));
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case UserTake take:
                long id = ++_next;
                _waiting[id] = (Sender, take.Correlation, Context.System.Scheduler.Now);
                _order.Enqueue(id);
                _budgets.Tell(take with { Correlation = id });
                break;
            case UserVerdict verdict when _waiting.Remove(verdict.Correlation, out var asker):
                asker.Asker.Tell(new UserVerdict(asker.Correlation, verdict.RetryAfterMs));
                break;
            case UserVerdict:
                break; // answered already (late)
            case Tick:
                Expire(Context.System.Scheduler.Now);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Expire(DateTimeOffset now)
    {
        // Questions in the order asked: the oldest time out first, so one connection's answers stay in order.
        while (_order.TryPeek(out long id))
        {
            if (!_waiting.TryGetValue(id, out var asker))
            {
                _order.Dequeue();
                continue;
            }

            if (now - asker.At < Timeout)
            {
                break;
            }

            _order.Dequeue();
            _waiting.Remove(id);
            _metrics?.UserLimitUnanswered.Inc();
            Context.GetLogger().Warning("A user's rate limit went unchecked: its group did not answer within {0}", Timeout);
            asker.Asker.Tell(new UserVerdict(asker.Correlation, 0));
        }
    }
}
