using ActorSocket.Actors.Metrics;
using ActorSocket.Protocol.PubSub;

namespace ActorSocket.Actors.Topics;

/// <summary>
/// The bytes every topic history of a node may hold together (<c>actorsocket.pubsub.history-max-bytes</c>),
/// taken and given back by the histories as they grow and shrink, and the gauges that show them.
/// </summary>
internal sealed class HistoryBudget
{
    private readonly ServerMetrics? _metrics;
    private readonly long _maxBytes;
    private long _bytes;

    /// <summary>A budget of <paramref name="maxBytes"/>, counted in <paramref name="metrics"/> when given.</summary>
    public HistoryBudget(long maxBytes, ServerMetrics? metrics = null)
    {
        _maxBytes = maxBytes;
        _metrics = metrics;
    }

    /// <summary>Takes <paramref name="bytes"/> for one message if the cap allows; false when it would pass it.</summary>
    public bool TryTake(long bytes)
    {
        long current = Interlocked.Read(ref _bytes);
        while (true)
        {
            if (current + bytes > _maxBytes)
            {
                return false;
            }

            long seen = Interlocked.CompareExchange(ref _bytes, current + bytes, current);
            if (seen == current)
            {
                _metrics?.HistoryBytes.Inc(bytes);
                _metrics?.HistoryMessages.Inc();
                return true;
            }

            current = seen;
        }
    }

    /// <summary>Gives back the <paramref name="bytes"/> of one message that left a history.</summary>
    public void Release(long bytes)
    {
        Interlocked.Add(ref _bytes, -bytes);
        _metrics?.HistoryBytes.Dec(bytes);
        _metrics?.HistoryMessages.Dec();
    }
}

/// <summary>
/// One topic's stream: its epoch, the offset of its last message, and the history of its most recent
/// messages, bounded by count, age and bytes (the topic's own cap and the node's
/// <see cref="HistoryBudget"/>). It is the seam between a topic's single writer and where the history
/// is kept; this one keeps it in memory. Not thread-safe: its owner actor is its only user.
/// </summary>
/// <remarks>
/// The history is always a contiguous run of offsets ending at the last one (or empty): when a
/// message cannot be kept, every older one goes too, so a recovery is whole or refused, never a
/// replay with a hole in it.
/// </remarks>
internal sealed class TopicHistory
{
    /// <summary>What a kept message costs beyond its payload: the message object, its frame header and envelope, the entry.</summary>
    internal const int Overhead = 160;

    private readonly NamespaceSettings _settings;
    private readonly HistoryBudget _budget;
    private readonly Queue<Entry> _kept = new();
    private long _bytes;

    /// <summary>A new stream with no message yet, in a new epoch.</summary>
    public TopicHistory(NamespaceSettings settings, HistoryBudget budget, string? epoch = null)
    {
        _settings = settings;
        _budget = budget;
        Epoch = epoch ?? NewEpoch();
    }

    /// <summary>The stream's epoch: changes only when a stream starts again from offset 1.</summary>
    public string Epoch { get; }

    /// <summary>The offset of the last message, 0 before the first.</summary>
    public long Offset { get; private set; }

    /// <summary>The position a subscriber is told.</summary>
    public PubSubPosition Position => new(Epoch, Offset);

    /// <summary>Messages kept now.</summary>
    public int Count => _kept.Count;

    /// <summary>When the oldest kept message expires; null when nothing is kept.</summary>
    public DateTimeOffset? NextExpiry => _kept.TryPeek(out Entry entry) ? entry.Time + _settings.HistoryTtl : null;

    /// <summary>A fresh epoch: 64 random bits in hex.</summary>
    public static string NewEpoch() => Random.Shared.NextInt64().ToString("x16", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Messages that left the history so far (by count, age, bytes or the node's budget): a durable stream's store is trimmed when this moved.</summary>
    public long Dropped { get; private set; }

    /// <summary>The kept messages with the time each was published, oldest first (what a durable stream's snapshot holds).</summary>
    public StoredMessage[] Stored() => [.. _kept.Select(entry => new StoredMessage(entry.Message, entry.Time))];

    /// <summary>Gives <paramref name="message"/> the next offset and keeps it; returns the message with its offset.</summary>
    public TopicMessage Append(TopicMessage message, DateTimeOffset now)
    {
        TopicMessage sequenced = message.Sequenced(Offset + 1);
        Keep(sequenced, now, now);
        return sequenced;
    }

    /// <summary>
    /// Starts from a stored stream (a durable topic's recovery): the offset of its last message and
    /// the messages it kept, each with its publish time; those past the bounds now are dropped.
    /// </summary>
    public void Restore(long offset, IReadOnlyList<StoredMessage> messages, DateTimeOffset now)
    {
        Clear();
        foreach (StoredMessage stored in messages)
        {
            if (stored.Message.Offset > Offset)
            {
                Keep(stored.Message, stored.Time, now);
            }
        }

        Offset = Math.Max(Offset, offset);
        Expire(now);
    }

    /// <summary>
    /// Keeps <paramref name="sequenced"/>, which already has the next offset (a durable stream gives
    /// offsets before it writes), published at <paramref name="time"/>.
    /// </summary>
    public void Keep(TopicMessage sequenced, DateTimeOffset time, DateTimeOffset now)
    {
        if (sequenced.Offset != Offset + 1)
        {
            Clear(); // a run must be contiguous: what came before a gap cannot be part of a recovery
        }

        Offset = sequenced.Offset;
        Expire(now);
        long bytes = sequenced.Data.Length + Overhead;
        if (bytes > _settings.HistoryMaxBytes || time <= now - _settings.HistoryTtl)
        {
            Clear(); // larger than the topic's whole history may be (or already expired): delivered, not kept, and nothing before it is recoverable
            return;
        }

        while (_kept.Count > 0 && (_kept.Count >= _settings.HistorySize || _bytes + bytes > _settings.HistoryMaxBytes))
        {
            DropOldest();
        }

        // The node's cap: this topic gives up its own oldest messages to make room, else keeps none.
        while (!_budget.TryTake(bytes))
        {
            if (_kept.Count == 0)
            {
                return;
            }

            DropOldest();
        }

        _kept.Enqueue(new Entry(sequenced, time, bytes));
        _bytes += bytes;
    }

    /// <summary>Drops the messages older than the time to live.</summary>
    public void Expire(DateTimeOffset now)
    {
        DateTimeOffset oldest = now - _settings.HistoryTtl;
        while (_kept.TryPeek(out Entry entry) && entry.Time <= oldest)
        {
            DropOldest();
        }
    }

    /// <summary>
    /// The messages after <paramref name="since"/> when the stream can give all of them (same epoch,
    /// none missing), at most <paramref name="limit"/> of them (the oldest first; -1: all); null when
    /// it cannot, and then nothing must be replayed.
    /// </summary>
    public List<TopicMessage>? After(PubSubPosition since, int limit = -1)
    {
        if (!string.Equals(since.Epoch, Epoch, StringComparison.Ordinal) || since.Offset > Offset)
        {
            return null;
        }

        long oldestKept = _kept.TryPeek(out Entry first) ? first.Message.Offset : Offset + 1;
        if (since.Offset + 1 < oldestKept)
        {
            return null; // some of what was missed is gone
        }

        long count = Offset - since.Offset;
        if (limit >= 0)
        {
            count = Math.Min(count, limit);
        }

        var messages = new List<TopicMessage>((int)count);
        foreach (Entry entry in _kept)
        {
            if (messages.Count == count)
            {
                break;
            }

            if (entry.Message.Offset > since.Offset)
            {
                messages.Add(entry.Message);
            }
        }

        return messages;
    }

    /// <summary>The most recent <paramref name="limit"/> kept messages (-1: all), oldest first.</summary>
    public List<TopicMessage> Recent(int limit)
    {
        int skip = limit < 0 ? 0 : Math.Max(0, _kept.Count - limit);
        return [.. _kept.Skip(skip).Select(entry => entry.Message)];
    }

    /// <summary>Drops every kept message (the offset goes on), giving their bytes back.</summary>
    public void Clear()
    {
        while (_kept.Count > 0)
        {
            DropOldest();
        }
    }

    private void DropOldest()
    {
        Entry entry = _kept.Dequeue();
        Dropped++;
        _bytes -= entry.Bytes;
        _budget.Release(entry.Bytes);
    }

    private readonly record struct Entry(TopicMessage Message, DateTimeOffset Time, long Bytes);
}

/// <summary>A message of a stream with the time it was published: what a durable stream writes and recovers.</summary>
/// <param name="Message">The message, with its offset.</param>
/// <param name="Time">When it was published (its age counts against the namespace's history ttl).</param>
internal readonly record struct StoredMessage(TopicMessage Message, DateTimeOffset Time);
