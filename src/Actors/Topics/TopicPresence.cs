using System.Text.Json;
using ActorSocket.Actors.Metrics;
using Akka.Actor;

namespace ActorSocket.Actors.Topics;

/// <summary>Who a present client is: its connection's id, its user (empty when anonymous) and the token's <c>info</c> (raw JSON, empty when none).</summary>
/// <param name="Client">The connection's client id, unique in the cluster.</param>
/// <param name="User">The token's <c>sub</c>; empty for an anonymous connection.</param>
/// <param name="Info">The token's <c>info</c> claim as JSON; empty when it has none.</param>
internal sealed record PresenceEntry(string Client, string User, ReadOnlyMemory<byte> Info);

/// <summary>
/// The presence of one topic on this node: an entry per subscribed connection, kept by the topic
/// actor. A connection that unsubscribes leaves at once; one whose connection ended stays present
/// for the namespace's grace, and a connection of the same user that subscribes meanwhile takes its
/// place without a leave or a join. Changes go to the topic's connections as frames: the first at
/// once, the ones that follow within the namespace's coalescing window together, as one
/// <c>presence-diff</c> per connection (or a <c>join</c>/<c>leave</c> when the window held one).
/// A connection is sent the changes after its own join, never its join itself.
/// </summary>
internal sealed class TopicPresence
{
    /// <summary>Newcomers of one window that get the changes after their own join (encoded for each); past them, the window's whole diff.</summary>
    internal const int MaxSuffixes = 100;

    /// <summary>Most bytes of entries one <c>presence</c> answer lists (512 KiB: well inside a connection's outbound buffer); past it, the counts only.</summary>
    internal const int MaxListBytes = 512 * 1024;

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    private readonly string _topic;
    private readonly NamespaceSettings _space;
    private readonly ServerMetrics _metrics;
    private readonly Dictionary<IActorRef, Present> _present = [];
    private readonly Dictionary<string, int> _users = new(StringComparer.Ordinal);

    // Connections that ended and are present for their grace, by user (oldest first); anonymous ones are not indexed.
    private readonly Dictionary<string, Queue<IActorRef>> _leavingByUser = new(StringComparer.Ordinal);
    private int _leaving;
    private readonly List<Change> _window = [];
    private readonly Dictionary<string, Dictionary<string, PresenceEntry>> _remote = new(StringComparer.Ordinal);
    private long _sequence;
    private int _remoteCount;

    public TopicPresence(string topic, NamespaceSettings space, ServerMetrics metrics)
    {
        _topic = topic;
        _space = space;
        _metrics = metrics;
    }

    /// <summary>Whether a window is open: changes now wait for <see cref="Flush"/>.</summary>
    public bool WindowOpen { get; private set; }

    /// <summary>Whether a connection that ended is still present (its grace runs): the topic must not stop.</summary>
    public bool HasLeaving => _leaving > 0;

    /// <summary>Present clients, this node's and (in a cluster) the other nodes'.</summary>
    public int Count => _present.Count + _remoteCount;

    /// <summary>
    /// This node's changes since the last call, for the other nodes (in a cluster): joins and leaves,
    /// and as silent pairs the reconnects within the grace. Null when nothing changed or nobody asks.
    /// </summary>
    public List<ReplicatedChange>? Outgoing { get; private set; }

    /// <summary>Whether this node's changes are kept in <see cref="Outgoing"/> (a cluster).</summary>
    public bool Replicated { get; init; }

    /// <summary>This node's present clients (a snapshot for another node).</summary>
    public List<PresenceEntry> LocalEntries() => [.. _present.Values.Select(present => present.Entry)];

    /// <summary>
    /// <paramref name="subscriber"/> subscribed with <paramref name="entry"/>: present now. Returns
    /// whether a change frame must go out (false: a reconnect within the grace, or not new).
    /// </summary>
    public bool Join(IActorRef subscriber, PresenceEntry entry, IEnumerable<IActorRef> connections)
    {
        if (_present.ContainsKey(subscriber))
        {
            return false;
        }

        // The same user back within the grace: takes the place of the oldest leaving entry, silently.
        if (entry.User.Length > 0 && _leaving > 0 && _leavingByUser.TryGetValue(entry.User, out Queue<IActorRef>? waiting))
        {
            IActorRef replaced = waiting.Dequeue();
            if (waiting.Count == 0)
            {
                _leavingByUser.Remove(entry.User);
            }

            _leaving--;
            PresenceEntry old = _present[replaced].Entry;
            _present.Remove(replaced);
            _present[subscriber] = new Present(entry, ++_sequence);
            Report(new ReplicatedChange(Join: false, old, Silent: true));
            Report(new ReplicatedChange(Join: true, entry, Silent: true));
            return false;
        }

        bool first = entry.User.Length > 0 && CountUser(entry.User, +1) == 1;
        _present[subscriber] = new Present(entry, ++_sequence);
        _metrics.PresentClients.Inc();
        Report(new ReplicatedChange(Join: true, entry, Silent: false));
        return Add(new Change(_sequence, entry, Join: true, first), connections);
    }

    /// <summary>
    /// <paramref name="subscriber"/> left: at once (<paramref name="now"/> null: an unsubscribe), or
    /// after the grace (its connection ended). Returns whether a change frame must go out.
    /// </summary>
    public bool Leave(IActorRef subscriber, DateTimeOffset? now, IEnumerable<IActorRef> connections)
    {
        if (!_present.TryGetValue(subscriber, out Present? present))
        {
            return false;
        }

        if (now is { } at && _space.PresenceLeaveGrace > TimeSpan.Zero)
        {
            present.LeavingAt = at + _space.PresenceLeaveGrace;
            _leaving++;
            if (present.Entry.User.Length > 0)
            {
                if (!_leavingByUser.TryGetValue(present.Entry.User, out Queue<IActorRef>? queue))
                {
                    _leavingByUser[present.Entry.User] = queue = new Queue<IActorRef>(1);
                }

                queue.Enqueue(subscriber);
            }

            return false;
        }

        return Gone(subscriber, present, connections);
    }

    /// <summary>The ended connections whose grace is over leave; returns whether a change frame must go out, and the next deadline.</summary>
    public bool Expire(DateTimeOffset now, IEnumerable<IActorRef> connections, out DateTimeOffset? next)
    {
        bool changed = false;
        next = null;
        foreach ((IActorRef subscriber, Present present) in _present.ToList())
        {
            if (present.LeavingAt is not { } at)
            {
                continue;
            }

            if (at <= now)
            {
                changed |= Gone(subscriber, present, connections);
            }
            else if (next is null || at < next)
            {
                next = at;
            }
        }

        return changed;
    }

    /// <summary>The window's changes to the connections (see the class); returns whether any went out (the window stays open then).</summary>
    public bool Flush(IReadOnlyCollection<IActorRef> connections)
    {
        if (_window.Count == 0)
        {
            WindowOpen = false;
            return false;
        }

        Send(_window, connections);
        _window.Clear();
        return true;
    }

    /// <summary>The <c>presence</c> answer: every entry, or past <c>presence-max-clients</c> the counts only.</summary>
    public byte[] EncodePresence(ReadOnlySpan<byte> id)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("op"u8, "presence"u8);
            WriteId(writer, id);
            writer.WriteString("topic"u8, _topic);
            if (Count > _space.PresenceMaxClients || ListBytes() > MaxListBytes)
            {
                writer.WriteNumber("count"u8, Count);
                writer.WriteNumber("users"u8, Users);
                writer.WriteString("message"u8, Count > _space.PresenceMaxClients
                    ? "more than " + _space.PresenceMaxClients + " clients are present (presence-max-clients): the counts only"
                    : "the list would be larger than " + (MaxListBytes / 1024) + " KiB: the counts only");
            }
            else
            {
                writer.WriteStartArray("clients"u8);
                foreach (Present present in _present.Values)
                {
                    WriteEntry(writer, present.Entry);
                }

                foreach (Dictionary<string, PresenceEntry> node in _remote.Values)
                {
                    foreach (PresenceEntry entry in node.Values)
                    {
                        WriteEntry(writer, entry);
                    }
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The <c>presence-stats</c> answer.</summary>
    public byte[] EncodeStats(ReadOnlySpan<byte> id)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("op"u8, "presence-stats"u8);
            WriteId(writer, id);
            writer.WriteString("topic"u8, _topic);
            writer.WriteNumber("clients"u8, Count);
            writer.WriteNumber("users"u8, Users);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>About the bytes the list of entries takes (their strings and info), without encoding it.</summary>
    private long ListBytes()
    {
        long bytes = 0;
        foreach (PresenceEntry entry in _present.Values.Select(present => present.Entry).Concat(_remote.Values.SelectMany(node => node.Values)))
        {
            bytes += 24 + entry.Client.Length + (entry.User.Length * 3) + entry.Info.Length; // {"client":"..","user":".."},
        }

        return bytes;
    }

    /// <summary>Distinct users present (anonymous connections are not users).</summary>
    private int Users => _users.Count;

    /// <summary>The topic actor stops: its present clients are no longer counted.</summary>
    public void Stopped() => _metrics.PresentClients.Dec(_present.Count);

    private bool Gone(IActorRef subscriber, Present present, IEnumerable<IActorRef> connections)
    {
        _present.Remove(subscriber);
        if (present.LeavingAt is not null)
        {
            // Its grace is over (leavers leave in the order they ended: it is its user's oldest).
            _leaving--;
            if (present.Entry.User.Length > 0 && _leavingByUser.TryGetValue(present.Entry.User, out Queue<IActorRef>? queue))
            {
                queue.Dequeue();
                if (queue.Count == 0)
                {
                    _leavingByUser.Remove(present.Entry.User);
                }
            }
        }

        _metrics.PresentClients.Dec();
        bool last = present.Entry.User.Length > 0 && CountUser(present.Entry.User, -1) == 0;
        Report(new ReplicatedChange(Join: false, present.Entry, Silent: false));
        return Add(new Change(++_sequence, present.Entry, Join: false, last), connections);
    }

    /// <summary>Takes the changes <see cref="Outgoing"/> holds.</summary>
    public List<ReplicatedChange>? TakeOutgoing()
    {
        List<ReplicatedChange>? changes = Outgoing;
        Outgoing = null;
        return changes;
    }

    /// <summary>
    /// Another node's changes: its clients join and leave here too (frames to this node's
    /// subscribers, except for silent ones). Returns whether a change frame went out at once.
    /// </summary>
    public bool ApplyRemote(string node, IEnumerable<ReplicatedChange> changes, IEnumerable<IActorRef> connections)
    {
        bool sent = false;
        if (!_remote.TryGetValue(node, out Dictionary<string, PresenceEntry>? entries))
        {
            _remote[node] = entries = new Dictionary<string, PresenceEntry>(StringComparer.Ordinal);
        }

        foreach (ReplicatedChange change in changes)
        {
            if (change.Join)
            {
                if (!entries.TryAdd(change.Entry.Client, change.Entry))
                {
                    continue;
                }

                _remoteCount++;
                bool first = change.Entry.User.Length > 0 && CountUser(change.Entry.User, +1) == 1;
                if (!change.Silent)
                {
                    sent |= Add(new Change(++_sequence, change.Entry, Join: true, first), connections);
                }
            }
            else if (entries.Remove(change.Entry.Client, out PresenceEntry? gone))
            {
                _remoteCount--;
                bool last = gone.User.Length > 0 && CountUser(gone.User, -1) == 0;
                if (!change.Silent)
                {
                    sent |= Add(new Change(++_sequence, gone, Join: false, last), connections);
                }
            }
        }

        if (entries.Count == 0)
        {
            _remote.Remove(node);
        }

        return sent;
    }

    /// <summary>
    /// Another node's whole presence (<paramref name="silent"/>: the first time it is known, no
    /// frames): what differs from what was known of it becomes joins and leaves.
    /// </summary>
    public bool ReplaceRemote(string node, IReadOnlyList<PresenceEntry> entries, bool silent, IEnumerable<IActorRef> connections)
    {
        var changes = new List<ReplicatedChange>();
        var now = entries.ToDictionary(entry => entry.Client, StringComparer.Ordinal);
        if (_remote.TryGetValue(node, out Dictionary<string, PresenceEntry>? known))
        {
            changes.AddRange(known.Values.Where(entry => !now.ContainsKey(entry.Client)).Select(entry => new ReplicatedChange(Join: false, entry, silent)));
        }

        changes.AddRange(entries.Where(entry => known?.ContainsKey(entry.Client) != true).Select(entry => new ReplicatedChange(Join: true, entry, silent)));
        return ApplyRemote(node, changes, connections);
    }

    /// <summary>A node left the cluster: its clients leave here at once.</summary>
    public bool DropNode(string node, IEnumerable<IActorRef> connections) =>
        _remote.TryGetValue(node, out Dictionary<string, PresenceEntry>? known)
        && ApplyRemote(node, [.. known.Values.Select(entry => new ReplicatedChange(Join: false, entry, Silent: false))], connections);

    private void Report(ReplicatedChange change)
    {
        if (Replicated)
        {
            (Outgoing ??= []).Add(change);
        }
    }

    private int CountUser(string user, int delta)
    {
        _users.TryGetValue(user, out int count);
        count += delta;
        if (count <= 0)
        {
            _users.Remove(user);
            return 0;
        }

        _users[user] = count;
        return count;
    }

    private bool Add(Change change, IEnumerable<IActorRef> connections)
    {
        if (!_space.JoinLeave)
        {
            return false;
        }

        if (WindowOpen)
        {
            _window.Add(change);
            _metrics.PresenceCoalesced.Inc();
            return false;
        }

        // The first change goes at once; the window opens for those that follow it.
        WindowOpen = true;
        Send([change], connections as IReadOnlyCollection<IActorRef> ?? [.. connections]);
        return true;
    }

    private void Send(List<Change> changes, IReadOnlyCollection<IActorRef> connections)
    {
        long firstSequence = changes[0].Sequence;
        Handlers.Connection.SendText? whole = null;
        var suffixes = new Dictionary<int, Handlers.Connection.SendText?>();
        foreach (IActorRef connection in connections)
        {
            long joined = _present.TryGetValue(connection, out Present? present) ? present.Joined : 0;
            Handlers.Connection.SendText? frame;
            if (joined < firstSequence || suffixes.Count >= MaxSuffixes)
            {
                frame = whole ??= Encode(changes, 0);
            }
            else
            {
                // A newcomer of this window: the changes after its own join.
                int from = changes.FindIndex(change => change.Sequence > joined);
                if (from < 0)
                {
                    continue;
                }

                if (!suffixes.TryGetValue(from, out frame))
                {
                    suffixes[from] = frame = Encode(changes, from);
                }
            }

            if (frame is not null)
            {
                connection.Tell(frame, ActorRefs.NoSender);
                _metrics.PresenceFrames.Inc();
            }
        }
    }

    private Handlers.Connection.SendText? Encode(List<Change> changes, int from)
    {
        if (from >= changes.Count)
        {
            return null;
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            if (changes.Count - from == 1)
            {
                Change change = changes[from];
                writer.WriteString("op"u8, change.Join ? "join"u8 : "leave"u8);
                writer.WriteString("topic"u8, _topic);
                WriteFields(writer, change);
            }
            else
            {
                writer.WriteString("op"u8, "presence-diff"u8);
                writer.WriteString("topic"u8, _topic);
                foreach (bool joins in new[] { true, false })
                {
                    writer.WriteStartArray(joins ? "joins"u8 : "leaves"u8);
                    for (int i = from; i < changes.Count; i++)
                    {
                        if (changes[i].Join == joins)
                        {
                            writer.WriteStartObject();
                            WriteFields(writer, changes[i]);
                            writer.WriteEndObject();
                        }
                    }

                    writer.WriteEndArray();
                }
            }

            writer.WriteEndObject();
        }

        return new Handlers.Connection.SendText(buffer.WrittenSpan.ToArray());
    }

    private static void WriteFields(Utf8JsonWriter writer, Change change)
    {
        writer.WriteString("client"u8, change.Entry.Client);
        writer.WriteString("user"u8, change.Entry.User);
        if (change.Join && !change.Entry.Info.IsEmpty)
        {
            writer.WritePropertyName("info"u8);
            writer.WriteRawValue(change.Entry.Info.Span, skipInputValidation: true);
        }

        if (change.UserEdge)
        {
            writer.WriteBoolean(change.Join ? "first"u8 : "last"u8, true);
        }
    }

    private static void WriteEntry(Utf8JsonWriter writer, PresenceEntry entry)
    {
        writer.WriteStartObject();
        writer.WriteString("client"u8, entry.Client);
        writer.WriteString("user"u8, entry.User);
        if (!entry.Info.IsEmpty)
        {
            writer.WritePropertyName("info"u8);
            writer.WriteRawValue(entry.Info.Span, skipInputValidation: true);
        }

        writer.WriteEndObject();
    }

    private static void WriteId(Utf8JsonWriter writer, ReadOnlySpan<byte> id)
    {
        if (!id.IsEmpty)
        {
            writer.WritePropertyName("id"u8);
            writer.WriteRawValue(id, skipInputValidation: true);
        }
    }

    /// <summary>One present client: its entry, when it joined (the change sequence), and when its grace ends if its connection ended.</summary>
    private sealed class Present(PresenceEntry entry, long joined)
    {
        public PresenceEntry Entry { get; } = entry;

        public long Joined { get; } = joined;

        public DateTimeOffset? LeavingAt { get; set; }
    }

    /// <summary>A join or a leave; <paramref name="UserEdge"/>: the user's first connection (join) or last (leave).</summary>
    private sealed record Change(long Sequence, PresenceEntry Entry, bool Join, bool UserEdge);
}

/// <summary>A change of one node's presence, sent to the other nodes.</summary>
/// <param name="Join">A join (else a leave).</param>
/// <param name="Entry">Who.</param>
/// <param name="Silent">Part of a reconnect within the grace: applied without frames.</param>
internal sealed record ReplicatedChange(bool Join, PresenceEntry Entry, bool Silent);
