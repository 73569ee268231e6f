using System.Security.Cryptography;
using System.Text;
using ActorSocket.Actors.Metrics;
using ActorSocket.Actors.Topics;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;

namespace ActorSocket.Actors.Cluster;

/// <summary>What a durable topic's journal and snapshot store hold: bound to our own serializer, never to Akka's default JSON.</summary>
internal interface IStoredHistory
{
    /// <summary>The topic.</summary>
    string Topic { get; }
}

/// <summary>A burst of publishes, with their offsets and publish times, written as one event with the stream's epoch.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Epoch">The stream's epoch (every event carries it: the store may have deleted the ones before).</param>
/// <param name="Messages">The messages, in offset order, contiguous.</param>
internal sealed record StreamAppended(string Topic, string Epoch, IReadOnlyList<StoredMessage> Messages) : IStoredHistory;

/// <summary>A durable stream as its owner holds it: after it is saved, every event before it is deleted.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Epoch">The stream's epoch.</param>
/// <param name="Offset">The offset of its last message.</param>
/// <param name="Messages">The messages its history kept, oldest first.</param>
internal sealed record StreamSnapshot(string Topic, string Epoch, long Offset, IReadOnlyList<StoredMessage> Messages) : IStoredHistory;

/// <summary>Journal to owner: the stream as the store had it (none: a new epoch, offset 0).</summary>
internal sealed record JournalRecovered(string Epoch, long Offset, IReadOnlyList<StoredMessage> Messages);

/// <summary>Owner to journal: write these messages of the stream <paramref name="Epoch"/> (one event), then answer <see cref="JournalWritten"/>.</summary>
internal sealed record JournalWrite(string Epoch, IReadOnlyList<StoredMessage> Messages);

/// <summary>Owner to journal: every message expired; delete the stream from the store (a later message starts it again).</summary>
internal sealed class JournalForget
{
    public static readonly JournalForget Instance = new();
}

/// <summary>Journal to owner: the last <see cref="JournalWrite"/> is in the store.</summary>
internal sealed class JournalWritten
{
    public static readonly JournalWritten Instance = new();
}

/// <summary>Owner to journal: save the stream as it is now and delete what came before.</summary>
internal sealed record JournalSnapshot(string Epoch, long Offset, IReadOnlyList<StoredMessage> Messages);

/// <summary>
/// The store of one durable topic: an Akka.Persistence actor, the child of the topic's
/// <see cref="TopicOwner"/>, which stays the single writer and decides offsets. The journal writes
/// what the owner hands it (one event per burst of publishes, at most two writes in flight, so a
/// busy topic writes large batches), recovers the stream at start (the latest snapshot, then the
/// events after it, keeping no more than the history can hold), and trims the store: each snapshot,
/// once saved, deletes every event and snapshot before it, and a stream whose every message expired
/// is deleted whole.
/// </summary>
/// <remarks>
/// A failure to recover or to write stops it (Akka.Persistence does); the owner watches it, answers
/// what was waiting <c>unavailable</c> and starts a new one after <see cref="HistoryStore.Retry"/>.
/// </remarks>
internal sealed class TopicJournal : UntypedPersistentActor
{
    private readonly string _topic;
    private readonly int _keep;
    private readonly HistoryStore _store;
    private readonly Queue<StoredMessage> _recovered = new();
    private string? _epoch;
    private long _offset;

    public TopicJournal(string topic, int keep, HistoryStore store)
    {
        _topic = topic;
        _keep = Math.Max(1, keep);
        _store = store;
        PersistenceId = PersistenceIdOf(topic);
        JournalPluginId = store.JournalPluginId;
        SnapshotPluginId = store.SnapshotPluginId;
    }

    /// <inheritdoc />
    public override string PersistenceId { get; }

    /// <summary>The props of the journal of <paramref name="topic"/>, which keeps at most <paramref name="keep"/> messages while it recovers.</summary>
    public static Props Props(string topic, int keep, HistoryStore store) =>
        Akka.Actor.Props.Create(() => new TopicJournal(topic, keep, store));

    /// <summary>
    /// The persistence id of a topic: <c>t:</c> and its name, or for a name too long for the stores'
    /// 255-character column, <c>t#</c> and its SHA-256.
    /// </summary>
    public static string PersistenceIdOf(string topic) =>
        topic.Length <= 240 ? "t:" + topic : "t#" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(topic)));

    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case SnapshotOffer { Snapshot: StreamSnapshot snapshot }:
                _epoch = snapshot.Epoch;
                _offset = snapshot.Offset;
                _recovered.Clear();
                foreach (StoredMessage stored in snapshot.Messages)
                {
                    Recover(stored);
                }

                break;
            case StreamAppended appended:
                _epoch = appended.Epoch;
                foreach (StoredMessage stored in appended.Messages)
                {
                    if (stored.Message.Offset > _offset)
                    {
                        Recover(stored);
                        _offset = stored.Message.Offset;
                    }
                }

                break;
            case RecoveryCompleted:
                // Nothing stored: a new stream. Its epoch is written with its first message; a topic
                // only subscribed to or read writes nothing (topic names are the clients' to make up).
                Report();
                break;
        }
    }

    protected override void OnCommand(object message)
    {
        switch (message)
        {
            case JournalWrite write:
                // Without stashing what follows: the owner may have a second write on its way, and
                // the store confirms them in order.
                PersistAsync(new StreamAppended(_topic, write.Epoch, write.Messages), _ =>
                {
                    _store.Metrics.HistoryStoreWrites.Inc();
                    _store.Metrics.HistoryStoreMessagesWritten.Inc(write.Messages.Count);
                    _store.Succeeded(Context.GetLogger());
                    Context.Parent.Tell(JournalWritten.Instance);
                });
                break;
            case JournalSnapshot snapshot:
                SaveSnapshot(new StreamSnapshot(_topic, snapshot.Epoch, snapshot.Offset, snapshot.Messages));
                break;
            case JournalForget:
                DeleteMessages(LastSequenceNr);
                DeleteSnapshots(new SnapshotSelectionCriteria(long.MaxValue));
                break;
            case SaveSnapshotSuccess saved:
                // Everything before the snapshot is in it: the store keeps the snapshot and what follows.
                DeleteMessages(saved.Metadata.SequenceNr);
                DeleteSnapshots(new SnapshotSelectionCriteria(saved.Metadata.SequenceNr - 1));
                break;
            case SaveSnapshotFailure failed:
                _store.Failed("saving a snapshot of topic " + _topic, failed.Cause, Context.GetLogger());
                break;
            case DeleteMessagesFailure failed:
                _store.Failed("trimming the journal of topic " + _topic, failed.Cause, Context.GetLogger());
                break;
            case DeleteSnapshotsFailure failed:
                _store.Failed("trimming the snapshots of topic " + _topic, failed.Cause, Context.GetLogger());
                break;
            case DeleteMessagesSuccess or DeleteSnapshotsSuccess:
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    protected override void OnRecoveryFailure(Exception reason, object? message = null) =>
        _store.Failed("recovering topic " + _topic, reason, Context.GetLogger());

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr) =>
        _store.Failed("writing to topic " + _topic, cause, Context.GetLogger());

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr) =>
        _store.Failed("writing to topic " + _topic + " (rejected)", cause, Context.GetLogger());

    private void Recover(StoredMessage stored)
    {
        _recovered.Enqueue(stored);
        while (_recovered.Count > _keep)
        {
            _recovered.Dequeue(); // the history could not hold it anyway
        }
    }

    private void Report()
    {
        _store.Succeeded(Context.GetLogger());
        Context.Parent.Tell(new JournalRecovered(_epoch ?? TopicHistory.NewEpoch(), _offset, [.. _recovered]));
        _recovered.Clear();
    }
}

/// <summary>
/// The store of this node's durable topics (<c>actorsocket.history-store</c>): the Akka.Persistence
/// plugins they use, how soon a failed journal is tried again, and whether the store is reachable
/// now, as <c>/healthz</c> and the metrics show it. A change is logged once, in one line, not per topic.
/// </summary>
internal sealed class HistoryStore
{
    private int _unreachable;

    /// <summary>A store whose state is shown in <paramref name="metrics"/>.</summary>
    public HistoryStore(ServerMetrics metrics, TimeSpan retry, TimeSpan timeout, string journalPluginId = "", string snapshotPluginId = "")
    {
        Metrics = metrics;
        Retry = retry;
        Timeout = timeout;
        JournalPluginId = journalPluginId;
        SnapshotPluginId = snapshotPluginId;
    }

    /// <summary>Where durable topics count their writes and failures.</summary>
    public ServerMetrics Metrics { get; }

    /// <summary>How long after a failure a durable topic tries its store again.</summary>
    public TimeSpan Retry { get; }

    /// <summary>Longest a durable topic waits for its store to recover the stream or finish a write before it counts as failed.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>The journal plugin's configuration path; empty: <c>akka.persistence.journal.plugin</c>.</summary>
    public string JournalPluginId { get; }

    /// <summary>The snapshot store plugin's configuration path; empty: <c>akka.persistence.snapshot-store.plugin</c>.</summary>
    public string SnapshotPluginId { get; }

    /// <summary>Whether the last operation on the store succeeded.</summary>
    public bool Reachable => Volatile.Read(ref _unreachable) == 0;

    /// <summary>An operation on the store succeeded: if it was unreachable, that is logged once.</summary>
    public void Succeeded(ILoggingAdapter log)
    {
        if (Interlocked.Exchange(ref _unreachable, 0) == 1)
        {
            Metrics.HistoryStoreUp.Set(1);
            log.Info("The history store is reachable again: durable topics take publishes");
        }
    }

    /// <summary>An operation on the store failed: counted, and logged as one line (no stack trace) when the store was reachable until now.</summary>
    public void Failed(string operation, Exception cause, ILoggingAdapter log)
    {
        Metrics.HistoryStoreFailures.Inc();
        string reason = Describe(cause);
        if (Interlocked.Exchange(ref _unreachable, 1) == 0)
        {
            Metrics.HistoryStoreUp.Set(0);
            log.Error("The history store cannot be reached ({0}: {1}); publishes to durable topics are answered unavailable until it is back, tried again every {2} s", operation, reason, Retry.TotalSeconds);
        }
        else
        {
            log.Debug("The history store is still unreachable ({0}: {1})", operation, reason);
        }
    }

    /// <summary>An exception's messages, outermost first, without its stack trace: what a log line about a store says.</summary>
    public static string Describe(Exception cause)
    {
        var text = new StringBuilder();
        for (Exception? error = cause; error is not null; error = error.InnerException)
        {
            if (text.Length > 0)
            {
                text.Append(" <- ");
            }

            text.Append(error.GetType().Name).Append(": ").Append(error.Message);
        }

        return text.ToString();
    }
}
