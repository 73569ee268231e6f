using ActorSocket.Actors.Metrics;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;

namespace ActorSocket.Actors.Cluster;

/// <summary>Settings of the topic layer in cluster mode.</summary>
internal sealed record ClusterTopicSettings
{
    /// <summary>
    /// Longest wait for the other nodes to confirm a new subscription before it is acknowledged
    /// anyway (and counted). 5 s: the registry gossip (every 250 ms by default) needs well under a
    /// second; a node that cannot answer in 5 s is about to be marked unreachable.
    /// </summary>
    public TimeSpan ConfirmTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often an unanswered confirmation is asked again. 200 ms: about one gossip round.</summary>
    public TimeSpan ConfirmRetry { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Longest wait for a topic's owner to confirm a publish or answer a history read before the
    /// client is answered <c>unavailable</c>. 30 s: a dead node is found, downed and its shards moved
    /// in well under that; a publish meanwhile waits in the shard region rather than failing.
    /// </summary>
    public TimeSpan OwnerTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Most messages in one cross-node batch. 1000: a burst becomes a few remoting messages.</summary>
    public int BatchMaxMessages { get; init; } = 1000;

    /// <summary>Most payload bytes in one batch. 256 KiB: well under the remoting frame limit we set (4 MiB).</summary>
    public int BatchMaxBytes { get; init; } = 256 * 1024;
}

/// <summary>
/// What a topic actor needs to reach the rest of the cluster: the DistributedPubSub mediator, this
/// node's incarnation and the members to confirm subscriptions with. Null in single-node mode.
/// </summary>
internal sealed class ClusterBridge
{
    private readonly Akka.Cluster.Cluster _cluster;

    /// <summary>Creates the bridge of <paramref name="system"/>, which must run with the cluster provider.</summary>
    /// <param name="system">The actor system.</param>
    /// <param name="settings">Confirmation and batching settings.</param>
    /// <param name="metrics">Where cross-node traffic is counted.</param>
    /// <param name="owners">The shard region of <see cref="TopicOwner"/>s, for topics with history; null when no namespace has history.</param>
    public ClusterBridge(ActorSystem system, ClusterTopicSettings settings, ServerMetrics metrics, IActorRef? owners = null)
    {
        Owners = owners;
        _cluster = Akka.Cluster.Cluster.Get(system);
        Mediator = DistributedPubSub.Get(system).Mediator;
        Settings = settings;
        Metrics = metrics;
        NodeId = Random.Shared.NextInt64();
        SelfAddress = _cluster.SelfAddress.ToString();
    }

    /// <summary>This node's shard region of topic owners (topics with history), or null.</summary>
    public IActorRef? Owners { get; }

    /// <summary>How topic actors reach the owners through the shard region.</summary>
    public OwnerLink OwnerLink => new(
        Owners ?? throw new InvalidOperationException("Topics with history in a cluster need the shard region of topic owners."),
        Metrics,
        Settings.OwnerTimeout,
        Settings.ConfirmRetry * 5,
        AcrossNodes: true);

    /// <summary>The DistributedPubSub mediator of this node.</summary>
    public IActorRef Mediator { get; }

    /// <summary>A random id of this node's incarnation: batches carry it, so a node skips its own.</summary>
    public long NodeId { get; }

    /// <summary>This node's address as a string.</summary>
    public string SelfAddress { get; }

    /// <summary>The settings.</summary>
    public ClusterTopicSettings Settings { get; }

    /// <summary>The metrics to count cross-node traffic in.</summary>
    public ServerMetrics Metrics { get; }

    /// <summary>
    /// The other members whose mediators take part now: up (or weakly up) and reachable from here.
    /// A subscription is acknowledged when each of them has confirmed it.
    /// </summary>
    public IReadOnlyList<Address> OtherMembers()
    {
        ClusterEvent.CurrentClusterState state = _cluster.State;
        var others = new List<Address>();
        foreach (Member member in state.Members)
        {
            if ((member.Status == MemberStatus.Up || member.Status == MemberStatus.WeaklyUp)
                && member.Address != _cluster.SelfAddress
                && !state.Unreachable.Contains(member))
            {
                others.Add(member.Address);
            }
        }

        return others;
    }
}
