using ActorSocket.Actors.Metrics;
using ActorSocket.Actors.Topics;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;

namespace ActorSocket.Actors.Cluster;

/// <summary>
/// The single writer of one topic with history: in a cluster an Akka.Cluster.Sharding entity, so
/// exactly one lives in the cluster at a time and sharding starts it again elsewhere when its node
/// goes; on one node with durable history, a child of <see cref="LocalOwners"/>. It gives every
/// publish, from any node, the next offset, keeps it in the topic's <see cref="TopicHistory"/>, and
/// sends it once to each node that follows the topic (that node's topic actor delivers to its
/// connections in offset order).
/// </summary>
/// <remarks>
/// <para>
/// In memory, a new incarnation is a new stream: a new epoch, offsets from 1. It lives while a node
/// follows it or its history holds a message, and passivates itself after the idle timeout
/// otherwise. Messages to followers leave in batches, one per follower per mailbox burst; a join is
/// answered only after what is batched went out, so the answer's position is never ahead of what
/// the follower has received.
/// </para>
/// <para>
/// Durable (the namespace's <c>history.durable</c>): a <see cref="TopicJournal"/> child recovers the
/// stream first (requests wait meanwhile), so a new incarnation continues the same epoch and
/// offsets. A burst of publishes is given its offsets and written as one event, and delivered and
/// acknowledged only once written; at most two writes are in flight, confirmed in order. When the store
/// fails, publishes are answered <c>unavailable</c> (those being written: in doubt), subscribes and
/// reads are still answered from memory, and the journal is tried again every
/// <see cref="HistoryStore.Retry"/>; a write that reached the store after all is delivered then.
/// A durable owner does not need to live for its history: it passivates when no node follows it.
/// </para>
/// </remarks>
internal sealed class TopicOwner : UntypedActor, IWithTimers, IWithUnboundedStash
{
    /// <summary>Most messages written as one event. 1000: a burst at 20,000 publishes/s is a few writes.</summary>
    private const int MaxWriteMessages = 1000;

    /// <summary>Most payload bytes written as one event. 1 MiB: one row, well under any store's limit.</summary>
    private const int MaxWriteBytes = 1024 * 1024;

    /// <summary>Writes of one topic in flight at once: two, so the store is never idle between a confirmation and the next write.</summary>
    private const int MaxWritesInFlight = 2;

    private readonly string _topic;
    private readonly NamespaceSettings _space;
    private readonly HistoryBudget _budget;
    private readonly TimeSpan _idleTimeout;
    private readonly ServerMetrics _metrics;
    private readonly HashSet<IActorRef> _followers = [];
    private readonly List<TopicMessage> _batch = [];
    private readonly Dictionary<IActorRef, (List<long> Correlations, List<long> Offsets)> _appended = [];
    private readonly int _maxOwners;
    private readonly HistoryStore? _store;
    private readonly List<(TopicMessage Message, IActorRef Sender, long Correlation)> _pending = [];
    private TopicHistory? _history;
    private readonly PatternDirectory _patterns;
    private IActorRef[] _patternNodes = [];
    private int _patternVersion = -1;
    private bool _flushScheduled;
    private bool _expiryScheduled;
    private bool _refusing;
    private OwnerRefusal _refusal = OwnerRefusal.Full;

    // Durable only: the journal child, the write in flight, and what the store holds beyond the last snapshot.
    private IActorRef? _journal;
    private int _journals;
    private readonly Queue<(StoredMessage[] Messages, (IActorRef Sender, long Correlation)[] Publishers)> _writes = new();
    private bool _snapshotDue;
    private bool _storeDown;
    private int _unsnapshotted;
    private long _droppedAtSnapshot;
    private DateTimeOffset _snapshotAt;

    public TopicOwner(string topic, NamespaceSettings space, HistoryBudget budget, ServerMetrics metrics, TimeSpan idleTimeout, int maxOwners = int.MaxValue, HistoryStore? store = null)
    {
        _maxOwners = maxOwners;
        _topic = topic;
        _space = space;
        _budget = budget;
        _idleTimeout = idleTimeout;
        _metrics = metrics;
        _store = space.HistoryDurable ? store ?? throw new InvalidOperationException("Namespace " + space.Name + " has durable history but this node has no history store.") : null;
        _history = _store is null ? new TopicHistory(space, budget) : null;
        _patterns = PatternDirectory.For(Context.System);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public IStash Stash { get; set; } = null!;

    private DateTimeOffset Now => Context.System.Scheduler.Now;

    /// <summary>Whether nothing keeps this owner: no follower, nothing being written, and (in memory) no history.</summary>
    private bool IsIdle => _followers.Count == 0 && _pending.Count == 0 && _writes.Count == 0 && (_store is not null || _history!.Count == 0);

    /// <summary>
    /// A durable stream writes a snapshot (and so trims its journal) after this many messages: the
    /// history's size, within 100..10,000, so that the store holds about twice the history at most.
    /// </summary>
    private int SnapshotEvery => Math.Clamp(_space.HistorySize, 100, 10_000);

    /// <summary>The entity props for a topic (the entity id), as the shard region (or <see cref="LocalOwners"/>) asks for them.</summary>
    /// <param name="namespaces">The namespaces (each owner's history settings).</param>
    /// <param name="budget">The node's history budget.</param>
    /// <param name="metrics">Where owners and recoveries are counted.</param>
    /// <param name="idleTimeout">How long an owner with no follower and no history lives on.</param>
    /// <param name="maxOwners">Owners this node holds at most (<c>pubsub.max-topics</c>): topic names are the clients' to make up.</param>
    /// <param name="store">The store of durable topics; null when no namespace is durable.</param>
    public static Func<string, Props> PropsFactory(NamespaceTable namespaces, HistoryBudget budget, ServerMetrics metrics, TimeSpan idleTimeout, int maxOwners = int.MaxValue, HistoryStore? store = null) =>
        topic => Props.Create(() => new TopicOwner(topic, namespaces.For(topic), budget, metrics, idleTimeout, maxOwners, store));

    /// <summary>
    /// Starts this node's shard region of topic owners directly (tests); the daemon starts the same
    /// through Akka.Cluster.Hosting. Owners passivate themselves; shards are never rebalanced while
    /// their node lives (<c>akka.cluster.sharding.least-shard-allocation-strategy</c> in
    /// <see cref="ClusterShardingDefaults"/>): in memory a moved owner would lose its history.
    /// </summary>
    public static IActorRef StartRegion(ActorSystem system, NamespaceTable namespaces, HistoryBudget budget, ServerMetrics metrics, TimeSpan idleTimeout, int maxOwners = int.MaxValue, HistoryStore? store = null)
    {
        ClusterSharding sharding = ClusterSharding.Get(system);
        ClusterShardingSettings settings = ClusterShardingSettings.Create(system).WithPassivateIdleAfter(TimeSpan.Zero).WithRememberEntities(false);
        return sharding.Start(
            TopicOwnerRegion.TypeName,
            PropsFactory(namespaces, budget, metrics, idleTimeout, maxOwners, store),
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
          # The coordinator's state (which node holds which shard) is persisted in the default
          # journal: in memory, or with durable topics in the history store, where it survives the
          # coordinator moving with the oldest node (a lost placement could start a second owner of
          # a topic while the first still runs).
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

    private sealed class RetryJournal
    {
        public static readonly RetryJournal Instance = new();
    }

    /// <summary>The journal did not finish a recovery or a write within <see cref="HistoryStore.Timeout"/>.</summary>
    private sealed class JournalTimeout
    {
        public static readonly JournalTimeout Instance = new();
    }

    /// <summary>
    /// A journal's failures stop it (the owner starts another; an exception in it must not replay it
    /// behind the owner's back), logged once as the store's failure, without a stack trace.
    /// </summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(
        -1,
        -1,
        error =>
        {
            _store?.Failed("the journal of topic " + _topic, error, Context.GetLogger());
            return Directive.Stop;
        },
        loggingEnabled: false);

    protected override void PreStart()
    {
        if (_metrics.TopicOwners.Value >= _maxOwners)
        {
            // Full: this incarnation only refuses what reaches it, then goes; a later one may find room.
            Refuse(OwnerRefusal.Full);
            return;
        }

        _metrics.TopicOwners.Inc();
        if (_store is not null)
        {
            StartJournal();
        }
        else
        {
            StartIdleTimer();
        }
    }

    protected override void PostStop()
    {
        if (!_refusing || _refusal != OwnerRefusal.Full)
        {
            _metrics.TopicOwners.Dec();
        }

        _history?.Clear(); // its bytes go back to the node's budget (durable: the store keeps the stream)
    }

    protected override void OnReceive(object message)
    {
        if (_refusing)
        {
            Refuse(message);
            return;
        }

        if (_history is null)
        {
            Recovering(message);
            return;
        }

        switch (message)
        {
            case OwnerPublish publish when _store is null:
                Sequenced(_history.Append(publish.Message, Now), Sender, publish.Correlation);
                ScheduleFlush();
                ScheduleExpiry();
                break;
            case OwnerPublish publish when _storeDown:
                Sender.Tell(new OwnerRefused(_topic, publish.Correlation, OwnerRefusal.StoreUnavailable));
                break;
            case OwnerPublish publish:
                _pending.Add((publish.Message, Sender, publish.Correlation));
                ScheduleFlush();
                break;
            case Flush:
                _flushScheduled = false;
                FlushBatch();
                WriteNext();
                break;
            case JournalWritten:
                Written();
                break;
            case JournalRecovered recovered:
                Recovered(recovered);
                break;
            case JournalTimeout:
                JournalTimedOut(_writes.Count == 0 ? "recovering" : "writing");
                break;
            case Terminated terminated when terminated.ActorRef.Equals(_journal):
                JournalFailed();
                break;
            case RetryJournal:
                StartJournal();
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

                IdleCheck();
                break;
            case ExpiryTick:
                _expiryScheduled = false;
                _history.Expire(Now);
                ScheduleExpiry();
                Snapshot(expired: true);
                IdleCheck();
                break;
            case IdleTick:
                if (IsIdle)
                {
                    // Sharding buffers what arrives meanwhile and starts a new stream for it (durable: the same stream, recovered).
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

    /// <summary>Durable, before the journal recovered the stream: requests wait; a failed recovery refuses them and ends this incarnation.</summary>
    private void Recovering(object message)
    {
        switch (message)
        {
            case JournalTimeout:
                JournalTimedOut("recovering");
                break;
            case JournalRecovered recovered:
                Timers.Cancel(nameof(JournalTimeout));
                _history = new TopicHistory(_space, _budget, recovered.Epoch);
                _history.Restore(recovered.Offset, recovered.Messages, Now);
                _droppedAtSnapshot = _history.Dropped;
                _snapshotAt = Now;
                if (_history.Count < recovered.Messages.Count)
                {
                    // Some of what the store held expired meanwhile: it leaves the store now.
                    _journal!.Tell(_history.Count == 0 ? JournalForget.Instance : new JournalSnapshot(_history.Epoch, _history.Offset, _history.Stored()));
                }

                ScheduleExpiry();
                Stash.UnstashAll();
                IdleCheck();
                break;
            case Terminated terminated when terminated.ActorRef.Equals(_journal):
                // The store cannot be reached: what waits is refused at once; a later request starts a new try.
                Refuse(OwnerRefusal.StoreUnavailable);
                Stash.UnstashAll();
                break;
            case OwnerStop:
                Context.Stop(Self);
                break;
            default:
                Stash.Stash();
                break;
        }
    }

    /// <summary>This incarnation refuses everything from now on, and passivates.</summary>
    private void Refuse(OwnerRefusal refusal)
    {
        _refusing = true;
        _refusal = refusal;
        Context.Parent.Tell(new Passivate(OwnerStop.Instance));
    }

    private void Refuse(object message)
    {
        switch (message)
        {
            case OwnerPublish publish:
                Sender.Tell(new OwnerRefused(_topic, publish.Correlation, _refusal));
                break;
            case OwnerJoin join:
                join.Follower.Tell(new OwnerRefused(_topic, join.Correlation, _refusal));
                break;
            case OwnerHistory history:
                Sender.Tell(new OwnerRefused(_topic, history.Correlation, _refusal));
                break;
            case OwnerStop:
                Context.Stop(Self);
                break;
        }
    }

    /// <summary>A message with its offset, to go to the followers with the next batch and be acknowledged to its publisher.</summary>
    private void Sequenced(TopicMessage message, IActorRef publisher, long correlation)
    {
        _batch.Add(message);
        if (!_appended.TryGetValue(publisher, out var appended))
        {
            _appended[publisher] = appended = ([], []);
        }

        appended.Correlations.Add(correlation);
        appended.Offsets.Add(message.Offset);
    }

    private void ScheduleFlush()
    {
        if (!_flushScheduled)
        {
            // Behind every publish already in the mailbox: the batch gathers the whole burst.
            _flushScheduled = true;
            Self.Tell(Flush.Instance);
        }
    }

    /// <summary>
    /// Durable: writes the waiting publishes, each write taking what gathered meanwhile. Two writes
    /// may be in flight (the store confirms them in order): a client with a window of publishes in
    /// flight then does not wait for a whole round trip between writes. None starts while a
    /// snapshot waits for the writes in flight to be confirmed.
    /// </summary>
    private void WriteNext()
    {
        while (_journal is not null && _writes.Count < MaxWritesInFlight && !_storeDown && !_snapshotDue && _pending.Count > 0)
        {
            Write();
        }
    }

    private void Write()
    {
        long offset = _writes.Count == 0 ? _history!.Offset : _writes.Last().Messages[^1].Message.Offset;
        DateTimeOffset now = Now;
        int count = 0;
        long bytes = 0;
        while (count < _pending.Count && count < MaxWriteMessages && (count == 0 || bytes + _pending[count].Message.Data.Length <= MaxWriteBytes))
        {
            bytes += _pending[count].Message.Data.Length;
            count++;
        }

        var messages = new StoredMessage[count];
        var publishers = new (IActorRef Sender, long Correlation)[count];
        for (int i = 0; i < count; i++)
        {
            (TopicMessage message, IActorRef sender, long correlation) = _pending[i];
            messages[i] = new StoredMessage(message.Sequenced(++offset), now);
            publishers[i] = (sender, correlation);
        }

        _pending.RemoveRange(0, count);
        if (_writes.Count == 0)
        {
            Timers.StartSingleTimer(nameof(JournalTimeout), JournalTimeout.Instance, _store!.Timeout);
        }

        _writes.Enqueue((messages, publishers));
        _journal!.Tell(new JournalWrite(_history!.Epoch, messages));
    }

    /// <summary>Durable: the oldest write in flight is in the store; its messages go to the followers and are acknowledged.</summary>
    private void Written()
    {
        if (!_writes.TryDequeue(out var writing))
        {
            return;
        }

        if (_writes.Count == 0)
        {
            Timers.Cancel(nameof(JournalTimeout));
        }
        else
        {
            Timers.StartSingleTimer(nameof(JournalTimeout), JournalTimeout.Instance, _store!.Timeout); // the next one's turn
        }

        DateTimeOffset now = Now;
        for (int i = 0; i < writing.Messages.Length; i++)
        {
            StoredMessage stored = writing.Messages[i];
            _history!.Keep(stored.Message, stored.Time, now);
            Sequenced(stored.Message, writing.Publishers[i].Sender, writing.Publishers[i].Correlation);
        }

        FlushBatch();
        ScheduleExpiry();
        _unsnapshotted += writing.Messages.Length;
        Snapshot(expired: false);
        WriteNext();
        IdleCheck();
    }

    /// <summary>
    /// Durable: a new journal recovered the stream after a failure. A write that was in doubt and
    /// reached the store after all is part of it: its messages are delivered now, in order.
    /// </summary>
    private void Recovered(JournalRecovered recovered)
    {
        Timers.Cancel(nameof(JournalTimeout));
        _storeDown = false;
        if (!string.Equals(recovered.Epoch, _history!.Epoch, StringComparison.Ordinal))
        {
            Context.GetLogger().Error("Topic {0}: the store holds epoch {1}, this node had {2}; keeping its own", _topic, recovered.Epoch, _history.Epoch);
        }
        else
        {
            DateTimeOffset now = Now;
            foreach (StoredMessage stored in recovered.Messages)
            {
                if (stored.Message.Offset == _history.Offset + 1)
                {
                    _history.Keep(stored.Message, stored.Time, now);
                    _batch.Add(stored.Message);
                }
            }

            FlushBatch();
        }

        WriteNext();
        IdleCheck();
    }

    /// <summary>Durable: the journal stopped (the store failed a write or a recovery).</summary>
    private void JournalFailed()
    {
        _journal = null;
        Timers.Cancel(nameof(JournalTimeout));
        _storeDown = true;
        _snapshotDue = false;
        foreach ((_, (IActorRef Sender, long Correlation)[] publishers) in _writes)
        {
            _metrics.PublishesInDoubt.Inc(publishers.Length);
            foreach ((IActorRef sender, long correlation) in publishers)
            {
                sender.Tell(new OwnerRefused(_topic, correlation, OwnerRefusal.InDoubt));
            }
        }

        _writes.Clear();

        foreach ((_, IActorRef sender, long correlation) in _pending)
        {
            sender.Tell(new OwnerRefused(_topic, correlation, OwnerRefusal.StoreUnavailable));
        }

        _pending.Clear();
        if (_followers.Count == 0)
        {
            Context.Parent.Tell(new Passivate(OwnerStop.Instance)); // nobody follows: a later request tries the store again
        }
        else
        {
            Timers.StartSingleTimer(nameof(RetryJournal), RetryJournal.Instance, _store!.Retry);
        }
    }

    private void StartJournal()
    {
        _journal = Context.ActorOf(TopicJournal.Props(_topic, _space.HistorySize, _store!), "journal-" + ++_journals);
        Context.Watch(_journal);
        Timers.StartSingleTimer(nameof(JournalTimeout), JournalTimeout.Instance, _store!.Timeout);
    }

    /// <summary>
    /// The store did not answer in time (a plugin that cannot initialise waits rather than fails):
    /// the journal is stopped, which answers what waits for it as a failure would.
    /// </summary>
    private void JournalTimedOut(string operation)
    {
        if (_journal is not null)
        {
            _store!.Failed(operation + " topic " + _topic, new TimeoutException("no answer from the store in " + _store.Timeout.TotalSeconds + " s"), Context.GetLogger());
            Context.Stop(_journal);
        }
    }

    /// <summary>
    /// Durable: saves the stream as it is (the journal then deletes everything before it) after
    /// <see cref="SnapshotEvery"/> messages, or when messages expired; never with a write in flight,
    /// so the snapshot holds exactly what the journal wrote.
    /// </summary>
    private void Snapshot(bool expired)
    {
        if (_journal is null || _storeDown)
        {
            return;
        }

        if (_writes.Count > 0)
        {
            // Count-based snapshots wait for the writes in flight (no new one starts meanwhile).
            _snapshotDue |= !expired && _unsnapshotted >= SnapshotEvery && Now - _snapshotAt >= TimeSpan.FromSeconds(1);
            return;
        }

        _snapshotDue = false;

        // Age: what expired leaves the store with the next snapshot, at most every 10 s (a busy
        // topic's oldest message expires continuously); when nothing is left, the stream leaves the
        // store at once: nothing is left to recover. It goes on in memory, and a later message
        // writes it (with its epoch) again.
        bool dropped = _history!.Dropped != _droppedAtSnapshot;
        if (expired && dropped && _history.Count == 0)
        {
            _journal.Tell(JournalForget.Instance);
            _unsnapshotted = 0;
            _droppedAtSnapshot = _history.Dropped;
            _snapshotAt = Now;
            return;
        }

        // Count: after SnapshotEvery messages, but a busy topic at most once a second unless 10,000
        // messages gathered (a snapshot rewrites the whole history: at 40,000 publishes/s one per
        // hundred messages would cost more than the writes).
        bool byCount = _unsnapshotted >= SnapshotEvery && (Now - _snapshotAt >= TimeSpan.FromSeconds(1) || _unsnapshotted >= 10_000);
        if (byCount || (expired && dropped && Now - _snapshotAt >= TimeSpan.FromSeconds(10)))
        {
            _journal.Tell(new JournalSnapshot(_history.Epoch, _history.Offset, _history.Stored()));
            _unsnapshotted = 0;
            _droppedAtSnapshot = _history.Dropped;
            _snapshotAt = Now;
        }
    }

    private void FlushBatch()
    {
        if (_batch.Count > 0)
        {
            var messages = new OwnerMessages(_topic, _history!.Epoch, _batch.ToArray());
            foreach (IActorRef follower in _followers)
            {
                follower.Tell(messages);
            }

            // The wildcard subscribers of every node (this one too) whose patterns match the topic:
            // once per node, with the offsets given here.
            if (!_patterns.IsEmpty)
            {
                int version = _patterns.Version;
                if (version != _patternVersion)
                {
                    _patternNodes = _patterns.Nodes(_topic, includeThisNode: true);
                    _patternVersion = version;
                }

                if (_patternNodes.Length > 0)
                {
                    var patternBatch = new PatternBatch(_topic, messages.Messages);
                    foreach (IActorRef node in _patternNodes)
                    {
                        node.Tell(patternBatch, ActorRefs.NoSender);
                    }
                }
            }

            _batch.Clear();
        }

        foreach ((IActorRef publisher, (List<long> correlations, List<long> offsets)) in _appended)
        {
            publisher.Tell(new OwnerAppended(_topic, correlations, _history!.Epoch, offsets));
        }

        _appended.Clear();
    }

    private void RemoveFollower(IActorRef follower)
    {
        if (_followers.Remove(follower))
        {
            Context.Unwatch(follower);
            IdleCheck();
        }
    }

    private void IdleCheck()
    {
        if (IsIdle)
        {
            StartIdleTimer();
        }
    }

    private void ScheduleExpiry()
    {
        if (_expiryScheduled || _history!.NextExpiry is not { } expiry)
        {
            return;
        }

        TimeSpan delay = expiry - Now;
        _expiryScheduled = true;
        Timers.StartSingleTimer(nameof(ExpiryTick), ExpiryTick.Instance, delay < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : delay);
    }

    private void StartIdleTimer() => Timers.StartSingleTimer(nameof(IdleTick), IdleTick.Instance, _idleTimeout);
}
