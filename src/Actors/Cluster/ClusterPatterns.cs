using System.Collections.Immutable;
using ActorSocket.Actors.Topics;
using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.Event;

namespace ActorSocket.Actors.Cluster;

/// <summary>
/// Which wildcard patterns each node holds, shared through Akka.DistributedData: one replicated map
/// from a node (its address and incarnation) to its patterns, written by each node for itself only.
/// Every node keeps the others' patterns in its <see cref="PatternDirectory"/>, so that a publish
/// goes to the nodes with a matching pattern, once each, and to no other.
/// </summary>
/// <remarks>
/// <para>
/// A pattern subscribe is acknowledged when every later publish, on any node, reaches it. The first
/// subscriber of a pattern on a node writes it to every replica (<c>WriteAll</c>); then, as
/// <see cref="ClusterReach"/> does for topics, each other member is asked whether its directory
/// holds it (<see cref="PatternCheck"/>); the acknowledgement goes out when all have said so (or
/// left, or become unreachable), at the latest after the confirm timeout. Later subscribers of a
/// confirmed pattern are acknowledged at once.
/// </para>
/// <para>
/// A node that leaves the cluster takes its patterns with it: every node removes the departed
/// node's entry (removal is idempotent), and entries of nodes that are not members are ignored
/// meanwhile.
/// </para>
/// </remarks>
internal sealed class ClusterPatterns
{
    /// <summary>The replicated map: node key to the patterns it holds.</summary>
    internal static readonly ORMultiValueDictionaryKey<string, string> Key = new("actorsocket-patterns");

    private readonly ClusterBridge _bridge;
    private readonly IActorContext _registry;
    private readonly ITimerScheduler _timers;
    private readonly PatternDirectory _directory;
    private readonly IActorRef _replicator;
    private readonly Akka.Cluster.Cluster _cluster;
    private readonly string _selfKey;
    private readonly Dictionary<string, Pending> _pending = new(StringComparer.Ordinal);
    private readonly HashSet<string> _confirmed = new(StringComparer.Ordinal);
    private ORMultiValueDictionary<string, string> _table = ORMultiValueDictionary<string, string>.Empty;
    private long _nonce;

    public ClusterPatterns(ClusterBridge bridge, IActorContext registry, ITimerScheduler timers)
    {
        _bridge = bridge;
        _registry = registry;
        _timers = timers;
        _directory = PatternDirectory.For(registry.System);
        _replicator = DistributedData.Get(registry.System).Replicator;
        _cluster = Akka.Cluster.Cluster.Get(registry.System);
        _selfKey = KeyOf(_cluster.SelfUniqueAddress);
        _replicator.Tell(Dsl.Subscribe(Key, registry.Self));
        _cluster.Subscribe(registry.Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.MemberRemoved), typeof(ClusterEvent.MemberUp));
    }

    /// <summary>A node's key in the map: its address and incarnation, so a restarted node is another.</summary>
    internal static string KeyOf(UniqueAddress node) => node.Address + "#" + node.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private sealed class RetryTick
    {
        public static readonly RetryTick Instance = new();
    }

    /// <summary>A subscriber here subscribed to <paramref name="pattern"/>: acknowledged once the cluster routes it here.</summary>
    public void Added(string pattern, bool newPattern, object? ack, IActorRef sender)
    {
        if (_pending.TryGetValue(pattern, out Pending? pending))
        {
            if (ack is not null)
            {
                pending.Acks.Add((sender, ack));
            }

            return;
        }

        if (!newPattern && _confirmed.Contains(pattern))
        {
            if (ack is not null)
            {
                sender.Tell(ack);
            }

            return;
        }

        pending = new Pending(++_nonce, _registry.System.Scheduler.Now);
        if (ack is not null)
        {
            pending.Acks.Add((sender, ack));
        }

        _pending[pattern] = pending;
        var write = new WriteAll(_bridge.Settings.ConfirmTimeout);
        _replicator.Tell(Dsl.Update(Key, ORMultiValueDictionary<string, string>.Empty, write, pattern, table => table.AddItem(_cluster, _selfKey, pattern)));
    }

    /// <summary>The last subscriber here left <paramref name="pattern"/>.</summary>
    public void Gone(string pattern)
    {
        _confirmed.Remove(pattern);
        if (_pending.Remove(pattern, out Pending? pending))
        {
            SendAcks(pending); // those subscribers came and went: their subscribes did take effect
        }

        _replicator.Tell(Dsl.Update(Key, ORMultiValueDictionary<string, string>.Empty, WriteLocal.Instance, null, table => table.RemoveItem(_cluster, _selfKey, pattern)));
    }

    /// <summary>A message for the registry about patterns; false when it is not one.</summary>
    public bool Handle(object message)
    {
        switch (message)
        {
            case UpdateSuccess { Request: string pattern }:
                StartConfirming(pattern);
                return true;
            case IUpdateFailure { Request: string pattern }:
                // Some replica did not answer in time: the confirmation round tells who has it.
                StartConfirming(pattern);
                return true;
            case IUpdateResponse:
                return true;
            case Changed changed when changed.Key.Equals(Key):
                _table = changed.Get(Key);
                Rebuild();
                return true;
            case ClusterEvent.MemberRemoved removed:
                // Its patterns go with it; every node removes them, which is idempotent.
                string key = KeyOf(removed.Member.UniqueAddress);
                if (_table.ContainsKey(key))
                {
                    _replicator.Tell(Dsl.Update(Key, ORMultiValueDictionary<string, string>.Empty, WriteLocal.Instance, null, table => table.Remove(_cluster, key)));
                }

                Rebuild();
                return true;
            case ClusterEvent.MemberUp:
                Rebuild();
                return true;
            case ClusterEvent.IMemberEvent or ClusterEvent.CurrentClusterState:
                return true;
            case PatternCheck check:
                if (_directory.HasRemote(check.Node, check.Pattern))
                {
                    _registry.Sender.Tell(new PatternHeld(check.Pattern, check.Nonce, _bridge.SelfAddress));
                }
                else
                {
                    // Not here yet: have the replicator tell its news now; the asker asks again.
                    _replicator.Tell(FlushChanges.Instance);
                }

                return true;
            case PatternHeld held:
                if (_pending.TryGetValue(held.Pattern, out Pending? pending) && pending.Nonce == held.Nonce
                    && pending.Awaiting is { } awaiting && awaiting.Remove(held.Responder) && awaiting.Count == 0)
                {
                    Confirmed(held.Pattern, pending);
                }

                return true;
            case RetryTick:
                Retry();
                return true;
            default:
                return false;
        }
    }

    private void StartConfirming(string pattern)
    {
        if (!_pending.TryGetValue(pattern, out Pending? pending) || pending.Awaiting is not null)
        {
            return;
        }

        pending.Awaiting = [.. _bridge.OtherMembers().Select(address => address.ToString())];
        if (pending.Awaiting.Count == 0)
        {
            Confirmed(pattern, pending);
            return;
        }

        Ask(pattern, pending);
        if (!_timers.IsTimerActive(nameof(RetryTick)))
        {
            _timers.StartPeriodicTimer(nameof(RetryTick), RetryTick.Instance, _bridge.Settings.ConfirmRetry);
        }
    }

    private void Ask(string pattern, Pending pending)
    {
        var check = new PatternCheck(pattern, _selfKey, pending.Nonce);
        string registryPath = _registry.Self.Path.ToStringWithoutAddress();
        foreach (string member in pending.Awaiting!)
        {
            // The registry has the same path on every node.
            _registry.ActorSelection(member + registryPath).Tell(check, _registry.Self);
        }
    }

    private void Retry()
    {
        DateTimeOffset now = _registry.System.Scheduler.Now;
        var members = _bridge.OtherMembers().Select(address => address.ToString()).ToHashSet();
        foreach ((string pattern, Pending pending) in _pending.ToList())
        {
            if (pending.Awaiting is null)
            {
                continue; // still being written
            }

            // Members that left or became unreachable cannot answer; the rest are asked again.
            pending.Awaiting.IntersectWith(members);
            if (pending.Awaiting.Count == 0)
            {
                Confirmed(pattern, pending);
            }
            else if (now - pending.Since >= _bridge.Settings.ConfirmTimeout)
            {
                _bridge.Metrics.ClusterConfirmTimeouts.Inc();
                _registry.GetLogger().Warning(
                    "Pattern {0}: acknowledging subscriptions although {1} did not confirm within {2}",
                    pattern,
                    string.Join(", ", pending.Awaiting),
                    _bridge.Settings.ConfirmTimeout);
                Confirmed(pattern, pending);
            }
            else
            {
                Ask(pattern, pending);
            }
        }

        if (_pending.Count == 0)
        {
            _timers.Cancel(nameof(RetryTick));
        }
    }

    private void Confirmed(string pattern, Pending pending)
    {
        _pending.Remove(pattern);
        _confirmed.Add(pattern);
        SendAcks(pending);
    }

    private static void SendAcks(Pending pending)
    {
        foreach ((IActorRef sender, object ack) in pending.Acks)
        {
            sender.Tell(ack);
        }

        pending.Acks.Clear();
    }

    /// <summary>The other members' patterns, from the replicated map, into the directory.</summary>
    private void Rebuild()
    {
        var members = new Dictionary<string, Address>(StringComparer.Ordinal);
        foreach (Member member in _cluster.State.Members)
        {
            if (member.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Leaving or MemberStatus.Exiting)
            {
                members[KeyOf(member.UniqueAddress)] = member.Address;
            }
        }

        var nodes = new List<RemotePatterns>();
        string registryPath = _registry.Self.Path.ToStringWithoutAddress();
        var provider = ((ExtendedActorSystem)_registry.System).Provider;
        foreach ((string key, IImmutableSet<string> patterns) in _table.Entries)
        {
            if (key != _selfKey && members.TryGetValue(key, out Address? address) && patterns.Count > 0)
            {
                nodes.Add(new RemotePatterns(key, provider.ResolveActorRef(address + registryPath), patterns));
            }
        }

        _directory.SetRemote(nodes);
    }

    /// <summary>A pattern being written and confirmed, and the subscribes waiting for it.</summary>
    private sealed class Pending(long nonce, DateTimeOffset since)
    {
        public long Nonce { get; } = nonce;

        public DateTimeOffset Since { get; } = since;

        public List<(IActorRef Sender, object Ack)> Acks { get; } = [];

        /// <summary>The members yet to confirm; null while the write is under way.</summary>
        public HashSet<string>? Awaiting { get; set; }
    }
}
