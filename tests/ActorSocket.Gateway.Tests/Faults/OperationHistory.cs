namespace ActorSocket.Gateway.Tests.Faults;

/// <summary>
/// A Jepsen-style record of a fault run: what every publisher sent and whether it was acknowledged,
/// what every subscriber received and when it resubscribed; <see cref="Check"/> then verifies the
/// contract's guarantees over the whole run. Thread-safe (one lock): clients record from their own
/// tasks.
/// </summary>
/// <remarks>
/// Each message is identified by its publisher and a sequence number the publisher increments.
/// Guarantees checked, per subscriber and topic:
/// <list type="bullet">
/// <item>nothing received that nobody published, and nothing received twice;</item>
/// <item>each publisher's messages in the order it sent them;</item>
/// <item>on a topic with history, offsets one after another, except across a resubscribe that said
/// <c>recovered: false</c> (after which the stream may go on further on, or in a new epoch from 1);</item>
/// <item>every acknowledged publish received, unless the subscriber resubscribed without recovery
/// (<c>recovered: false</c>, or a topic without history) — then only its own run is checked.</item>
/// </list>
/// </remarks>
internal sealed class OperationHistory
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Topic, string Publisher, int Sequence), bool> _published = [];
    private readonly Dictionary<(string Subscriber, string Topic), List<Event>> _seen = [];

    /// <summary>A publish finished: acknowledged, or failed (refused, timed out, connection lost: it may or may not have been delivered).</summary>
    public void Published(string publisher, string topic, int sequence, bool acknowledged)
    {
        lock (_lock)
        {
            _published[(topic, publisher, sequence)] = acknowledged;
        }
    }

    /// <summary>A subscriber received a message.</summary>
    public void Received(string subscriber, string topic, long? offset, string publisher, int sequence)
    {
        lock (_lock)
        {
            Events(subscriber, topic).Add(new Event(offset, publisher, sequence, null, Resubscribe: false));
        }
    }

    /// <summary>A subscriber subscribed again after a reconnect.</summary>
    public void Resubscribed(string subscriber, string topic, bool? recovered)
    {
        lock (_lock)
        {
            Events(subscriber, topic).Add(new Event(null, string.Empty, 0, recovered, Resubscribe: true));
        }
    }

    /// <summary>Acknowledged publishes on <paramref name="topic"/>.</summary>
    public int AcknowledgedCount(string topic)
    {
        lock (_lock)
        {
            return _published.Count(p => p.Key.Topic == topic && p.Value);
        }
    }

    /// <summary>Resubscribes and what they said, per subscriber, on <paramref name="topic"/>.</summary>
    public IReadOnlyList<bool?> Resubscribes(string subscriber, string topic)
    {
        lock (_lock)
        {
            return _seen.TryGetValue((subscriber, topic), out List<Event>? events) ? [.. events.Where(e => e.Resubscribe).Select(e => e.Recovered)] : [];
        }
    }

    /// <summary>Every violation of the guarantees for <paramref name="subscribers"/> on <paramref name="topic"/>; empty when the run kept them all.</summary>
    public IReadOnlyList<string> Check(string topic, IEnumerable<string> subscribers)
    {
        lock (_lock)
        {
            var violations = new List<string>();
            foreach (string subscriber in subscribers)
            {
                List<Event> events = _seen.TryGetValue((subscriber, topic), out List<Event>? seen) ? seen : [];
                var received = new HashSet<(string, int)>();
                var lastSequence = new Dictionary<string, int>(StringComparer.Ordinal);
                long? lastOffset = null;
                bool gapAllowed = false, complete = true;
                foreach (Event e in events)
                {
                    if (e.Resubscribe)
                    {
                        if (e.Recovered != true)
                        {
                            gapAllowed = true; // what was missed is gone, or the stream began a new epoch (offsets from 1 again), or the topic has no history: not owed
                            complete = false;
                        }

                        continue;
                    }

                    string who = subscriber + " on " + topic;
                    if (!_published.ContainsKey((topic, e.Publisher, e.Sequence)))
                    {
                        violations.Add(who + ": received " + e.Publisher + "#" + e.Sequence + ", which nobody published");
                    }

                    if (!received.Add((e.Publisher, e.Sequence)))
                    {
                        violations.Add(who + ": received " + e.Publisher + "#" + e.Sequence + " twice");
                    }

                    if (lastSequence.TryGetValue(e.Publisher, out int before) && e.Sequence <= before)
                    {
                        violations.Add(who + ": " + e.Publisher + "#" + e.Sequence + " after #" + before);
                    }

                    lastSequence[e.Publisher] = Math.Max(before, e.Sequence);
                    if (e.Offset is { } offset)
                    {
                        if (lastOffset is { } previous && offset != previous + 1 && !gapAllowed)
                        {
                            violations.Add(who + ": offset " + offset + " after " + previous);
                        }

                        lastOffset = offset;
                        gapAllowed = false;
                    }
                }

                if (complete)
                {
                    foreach (((string t, string publisher, int sequence), bool acknowledged) in _published)
                    {
                        if (t == topic && acknowledged && !received.Contains((publisher, sequence)))
                        {
                            violations.Add(subscriber + " on " + topic + ": never received acknowledged " + publisher + "#" + sequence);
                        }
                    }
                }
            }

            return violations;
        }
    }

    private List<Event> Events(string subscriber, string topic)
    {
        if (!_seen.TryGetValue((subscriber, topic), out List<Event>? events))
        {
            _seen[(subscriber, topic)] = events = [];
        }

        return events;
    }

    private sealed record Event(long? Offset, string Publisher, int Sequence, bool? Recovered, bool Resubscribe);
}
