using ActorSocket.Actors.Metrics;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;

namespace ActorSocket.Actors.Cluster;

/// <summary>
/// Watches membership: one log line per change (joined, up, unreachable, reachable again, removed)
/// and the <c>actorsocket_cluster_*</c> membership gauges, recomputed from the cluster state.
/// </summary>
internal sealed class ClusterMonitor : ReceiveActor
{
    private static readonly MemberStatus[] Statuses =
        [MemberStatus.Joining, MemberStatus.WeaklyUp, MemberStatus.Up, MemberStatus.Leaving, MemberStatus.Exiting, MemberStatus.Down, MemberStatus.Removed];

    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly ILoggingAdapter _log = Context.GetLogger();

    // Kept from the events themselves: the cluster's own state view may lag behind an event.
    private readonly Dictionary<UniqueAddress, MemberStatus> _members = [];
    private readonly HashSet<UniqueAddress> _unreachable = [];

    /// <summary>Creates the monitor.</summary>
    public ClusterMonitor(ServerMetrics metrics)
    {
        Receive<ClusterEvent.IMemberEvent>(change =>
        {
            _log.Info("Cluster member {0} is {1}", change.Member.Address, change.Member.Status);
            if (change is ClusterEvent.MemberRemoved)
            {
                _members.Remove(change.Member.UniqueAddress);
                _unreachable.Remove(change.Member.UniqueAddress);
            }
            else
            {
                _members[change.Member.UniqueAddress] = change.Member.Status;
            }

            Update(metrics);
        });
        Receive<ClusterEvent.UnreachableMember>(unreachable =>
        {
            metrics.ClusterUnreachableEvents.Inc();
            _log.Warning("Cluster member {0} is unreachable", unreachable.Member.Address);
            _unreachable.Add(unreachable.Member.UniqueAddress);
            Update(metrics);
        });
        Receive<ClusterEvent.ReachableMember>(reachable =>
        {
            _log.Info("Cluster member {0} is reachable again", reachable.Member.Address);
            _unreachable.Remove(reachable.Member.UniqueAddress);
            Update(metrics);
        });
    }

    /// <summary>Props for the monitor.</summary>
    public static Props Props(ServerMetrics metrics) => Akka.Actor.Props.Create(() => new ClusterMonitor(metrics));

    /// <summary>The cluster status of this node in a few words, for <c>/healthz</c>.</summary>
    /// <param name="cluster">The cluster extension.</param>
    /// <param name="pauses">The process's pause detector: after a pause, this node's view is stale until it has caught up.</param>
    /// <returns>
    /// Whether this node serves: it is up (or weakly up), it reaches a majority of the members
    /// (itself included), so that it is on the side the split-brain resolver keeps, and its view
    /// is not stale from a pause; and a description.
    /// </returns>
    public static (bool Member, string Description) Describe(Akka.Cluster.Cluster cluster, PauseDetector? pauses = null)
    {
        (bool serving, string description) = Membership(cluster);
        if (pauses?.Stale(PauseDetector.Now) is { } pause)
        {
            return (false, description + string.Create(System.Globalization.CultureInfo.InvariantCulture, $"; paused: the process stood still for {pause.TotalSeconds:F1} s, its view of the cluster is being renewed"));
        }

        return (serving, description);
    }

    private static (bool Member, string Description) Membership(Akka.Cluster.Cluster cluster)
    {
        ClusterEvent.CurrentClusterState state = cluster.State;
        MemberStatus status = cluster.SelfMember.Status;
        var members = state.Members.Where(m => m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Leaving).ToList();
        int reachable = members.Count(m => !state.Unreachable.Contains(m));
        bool lowestReachable = members.Count > 0 && !state.Unreachable.Contains(members.OrderBy(m => m.Address, Member.AddressOrdering).First());
        bool serving = Serves(status is MemberStatus.Up or MemberStatus.WeaklyUp, members.Count, reachable, lowestReachable);
        string description = string.Create(
            System.Globalization.CultureInfo.InvariantCulture,
            $"{cluster.SelfAddress} {Name(status)}; members {state.Members.Count(m => m.Status is MemberStatus.Up or MemberStatus.WeaklyUp)} up of {state.Members.Count}; unreachable {state.Unreachable.Count}");
        if (status is MemberStatus.Up or MemberStatus.WeaklyUp && !serving)
        {
            description += string.Create(System.Globalization.CultureInfo.InvariantCulture, $"; minority: reaches {reachable} of {members.Count} members");
        }

        return (serving, description);
    }

    /// <summary>
    /// Whether a node serves clients: up, and on the side that reaches more than half of the
    /// members (itself included); on an even split, the side with the lowest address, as the
    /// keep-majority split-brain resolver decides. A node cut off from the majority is about to be
    /// downed: its clients would receive nothing from the others meanwhile.
    /// </summary>
    internal static bool Serves(bool up, int members, int reachable, bool lowestReachable) =>
        up && (reachable * 2 > members || (reachable * 2 == members && lowestReachable));

    /// <inheritdoc />
    protected override void PreStart() =>
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));

    /// <inheritdoc />
    protected override void PostStop() => _cluster.Unsubscribe(Self);

    private static string Name(MemberStatus status) => status.ToString().ToLowerInvariant();

    private void Update(ServerMetrics metrics)
    {
        foreach (MemberStatus status in Statuses)
        {
            metrics.ClusterMembers.WithLabels(Name(status)).Set(_members.Values.Count(s => s == status));
        }

        metrics.ClusterUnreachable.Set(_unreachable.Count);
    }
}
