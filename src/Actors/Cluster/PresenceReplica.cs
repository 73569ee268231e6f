using ActorSocket.Actors.Topics;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;

namespace ActorSocket.Actors.Cluster;

/// <summary>Node to node: "send me your presence of this topic" (a <see cref="PresenceSnapshot"/>), to a node's registry or topic actor.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Node">The asking node's key.</param>
/// <param name="Incarnation">The asking topic actor's incarnation: an asked node that does not know it yet asks back.</param>
internal sealed record PresenceSync(string Topic, string Node, long Incarnation) : IClusterTopicMessage;

/// <summary>One node's whole presence of a topic: its clients, and the sequence of its last change.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Node">The answering node's key.</param>
/// <param name="Incarnation">The answering topic actor's incarnation (its changes are numbered within it).</param>
/// <param name="Sequence">The number of its last change sent.</param>
/// <param name="Entries">Its present clients.</param>
internal sealed record PresenceSnapshot(string Topic, string Node, long Incarnation, long Sequence, IReadOnlyList<PresenceEntry> Entries) : IClusterTopicMessage;

/// <summary>One node's changes of a topic's presence, numbered: a receiver that misses one asks for a snapshot.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Node">The node's key.</param>
/// <param name="Incarnation">Its topic actor's incarnation.</param>
/// <param name="Sequence">This delta's number (1, 2, ... within the incarnation).</param>
/// <param name="Changes">Joins and leaves, in order.</param>
internal sealed record PresenceDelta(string Topic, string Node, long Incarnation, long Sequence, IReadOnlyList<ReplicatedChange> Changes) : IClusterTopicMessage;

/// <summary>Registry to topic actor: the cluster removed this node; its clients leave at once.</summary>
/// <param name="Node">The node's key.</param>
internal sealed record PresenceNodeGone(string Node);

/// <summary>
/// A topic's presence across the cluster, kept by each node's topic actor. Each node owns its own
/// clients and sends their changes, numbered, on the topic's presence channel (a DistributedPubSub
/// topic of its own) to every node whose topic actor listens; a node that starts listening asks every
/// member for its whole presence first, and answers questions only once all have answered (or the
/// confirm timeout passed). A receiver that sees a gap in a node's numbers, or a new incarnation,
/// asks that node again. For the seconds the channel's registry needs to reach every node, a node
/// that was asked sends its changes to the asker directly as well (duplicates are numbered, and
/// dropped). When the cluster removes a node, its clients leave every other node at once
/// (<see cref="PresenceNodeGone"/>).
/// </summary>
internal sealed class PresenceReplica
{
    /// <summary>How long a node that asked for a snapshot also gets changes directly: the channel's registry has reached every node by then.</summary>
    private static readonly TimeSpan PeerTime = TimeSpan.FromSeconds(10);

    private readonly ClusterBridge _bridge;
    private readonly IActorContext _context;
    private readonly string _name;
    private readonly string _channel;
    private readonly string _self;
    private readonly long _incarnation = Random.Shared.NextInt64(1, long.MaxValue);
    private readonly Dictionary<string, (long Incarnation, long Sequence)> _known = new(StringComparer.Ordinal);
    private readonly Dictionary<IActorRef, DateTimeOffset> _peers = [];
    private readonly List<(IActorRef Sender, PresenceQuery Query)> _held = [];
    private HashSet<string>? _awaiting;
    private DateTimeOffset _syncStarted;
    private long _sequence;
    private bool _registered;
    private bool _flushScheduled;

    public PresenceReplica(ClusterBridge bridge, IActorContext context, string name)
    {
        _bridge = bridge;
        _context = context;
        _name = name;
        _channel = "\u0001presence:" + name;
        _self = ClusterPatterns.KeyOf(Akka.Cluster.Cluster.Get(context.System).SelfUniqueAddress);
    }

    /// <summary>Whether the first round of snapshots is still under way: questions wait for it.</summary>
    public bool Syncing => !_registered || _awaiting is not null;

    private sealed class Flush
    {
        public static readonly Flush Instance = new();
    }

    private sealed class SyncRetry
    {
        public static readonly SyncRetry Instance = new();
    }

    /// <summary>Listens on the topic's presence channel (once), and then asks every member for its presence.</summary>
    public void Start()
    {
        if (_registered)
        {
            return;
        }

        _registered = true;
        _awaiting = [];
        _syncStarted = _context.System.Scheduler.Now;
        _bridge.Mediator.Tell(new Subscribe(_channel, _context.Self));
    }

    /// <summary>A question that must wait for the first round of snapshots.</summary>
    public void Hold(PresenceQuery query, IActorRef sender) => _held.Add((sender, query));

    /// <summary>This node's presence changed: its changes go out behind the mailbox's burst.</summary>
    public void Changed()
    {
        if (!_flushScheduled)
        {
            _flushScheduled = true;
            _context.Self.Tell(Flush.Instance);
        }
    }

    /// <summary>The topic actor stops: it no longer listens.</summary>
    public void Stopped()
    {
        if (_registered)
        {
            _bridge.Mediator.Tell(new Unsubscribe(_channel, _context.Self));
        }
    }

    /// <summary>A message for the replica; false when it is not one.</summary>
    public bool Handle(object message, TopicPresence presence, IReadOnlyCollection<IActorRef> connections, Action sent)
    {
        switch (message)
        {
            case SubscribeAck { Subscribe.Topic: var topic } when topic == _channel:
                _awaiting = [.. _bridge.OtherMembers().Select(address => address.ToString())];
                Ask();
                return true;
            case UnsubscribeAck:
                return true;
            case SyncRetry:
                if (_awaiting is not null)
                {
                    _awaiting.IntersectWith(_bridge.OtherMembers().Select(address => address.ToString()));
                    if (_context.System.Scheduler.Now - _syncStarted >= _bridge.Settings.ConfirmTimeout)
                    {
                        _context.GetLogger().Warning("Presence of {0}: answering without {1}, which did not send its presence within {2}", _name, string.Join(", ", _awaiting), _bridge.Settings.ConfirmTimeout);
                        _awaiting.Clear();
                    }

                    Ask();
                }

                return true;
            case PresenceSync sync:
                _context.Sender.Tell(new PresenceSnapshot(_name, _self, _incarnation, _sequence, presence.LocalEntries()));
                _peers[_context.Sender] = _context.System.Scheduler.Now + PeerTime;
                if (sync.Node != _self && (!_known.TryGetValue(sync.Node, out var asker) || asker.Incarnation != sync.Incarnation))
                {
                    // A topic actor we have not heard from yet (its node answered for none before it
                    // started, and its first changes may not have reached us): what it holds, in return.
                    _context.Sender.Tell(new PresenceSync(_name, _self, _incarnation), _context.Self);
                }

                return true;
            case PresenceSnapshot snapshot:
                if (snapshot.Node != _self)
                {
                    // What differs from what we knew goes to our subscribers as joins and leaves, even in
                    // our first round: a subscriber may hear of clients that were there before it (told
                    // apart from one that arrives during the round, it is not, and a join it did not
                    // need is better than one it missed).
                    _known[snapshot.Node] = (snapshot.Incarnation, snapshot.Sequence);
                    if (presence.ReplaceRemote(snapshot.Node, snapshot.Entries, silent: false, connections))
                    {
                        sent();
                    }

                    if (_awaiting?.Remove(AddressOf(snapshot.Node)) == true && _awaiting.Count == 0)
                    {
                        Ask();
                    }
                }

                return true;
            case PresenceDelta delta:
                if (delta.Node == _self)
                {
                    return true; // our own, back from the channel
                }

                if (_known.TryGetValue(delta.Node, out var at) && at.Incarnation == delta.Incarnation && delta.Sequence <= at.Sequence + 1)
                {
                    if (delta.Sequence == at.Sequence + 1)
                    {
                        _known[delta.Node] = (at.Incarnation, delta.Sequence);
                        if (presence.ApplyRemote(delta.Node, delta.Changes, connections))
                        {
                            sent();
                        }
                    }
                }
                else
                {
                    // A gap, a new incarnation, or a node not known yet: its whole presence, from it.
                    _context.Sender.Tell(new PresenceSync(_name, _self, _incarnation), _context.Self);
                }

                return true;
            case PresenceNodeGone gone:
                _known.Remove(gone.Node);
                if (presence.DropNode(gone.Node, connections))
                {
                    sent();
                }

                return true;
            case Flush:
                _flushScheduled = false;
                if (presence.TakeOutgoing() is { Count: > 0 } changes)
                {
                    var outgoing = new PresenceDelta(_name, _self, _incarnation, ++_sequence, changes);
                    _bridge.Mediator.Tell(new Publish(_channel, outgoing));
                    DateTimeOffset now = _context.System.Scheduler.Now;
                    foreach ((IActorRef peer, DateTimeOffset until) in _peers.ToList())
                    {
                        if (until < now)
                        {
                            _peers.Remove(peer);
                        }
                        else
                        {
                            peer.Tell(outgoing, _context.Self);
                        }
                    }
                }

                return true;
            default:
                return false;
        }
    }

    /// <summary>Asks the members that have not answered yet; once all have, the held questions are answered.</summary>
    private void Ask()
    {
        if (_awaiting is null)
        {
            return;
        }

        if (_awaiting.Count == 0)
        {
            _awaiting = null;
            foreach ((IActorRef sender, PresenceQuery query) in _held)
            {
                _context.Self.Tell(query, sender);
            }

            _held.Clear();
            return;
        }

        var sync = new PresenceSync(_name, _self, _incarnation);
        foreach (string member in _awaiting)
        {
            // The registry has the same path on every node; it forwards to its topic actor, or answers for none.
            _context.ActorSelection(member + _context.Parent.Path.ToStringWithoutAddress()).Tell(sync, _context.Self);
        }

        _context.System.Scheduler.ScheduleTellOnce(_bridge.Settings.ConfirmRetry, _context.Self, SyncRetry.Instance, ActorRefs.NoSender);
    }

    private static string AddressOf(string node)
    {
        int hash = node.LastIndexOf('#');
        return hash < 0 ? node : node[..hash];
    }
}
