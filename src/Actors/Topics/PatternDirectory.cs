using Akka.Actor;

namespace ActorSocket.Actors.Topics;

/// <summary>
/// A node's wildcard subscriptions and, in a cluster, which patterns the other nodes hold: what a
/// topic actor or a topic owner asks to find the wildcard subscribers of a topic. One per actor
/// system (<see cref="For"/>). The topic registry writes it (alone); topic actors and owners, on
/// other threads, read it under its lock, and only when its <see cref="Version"/> moved since they
/// last looked: a publish to a topic whose answer is cached reads one integer.
/// </summary>
internal sealed class PatternDirectory : IExtension
{
    private readonly object _lock = new();
    private readonly PatternTrie<Entry> _trie = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<IActorRef, List<string>> _bySubscriber = [];
    private int _version;
    private int _count;
    private int _localPatterns;

    /// <summary>This node's directory.</summary>
    public static PatternDirectory For(ActorSystem system) => system.WithExtension<PatternDirectory, PatternDirectoryProvider>();

    /// <summary>Moves on every change: a reader whose cached answer carries another version asks again.</summary>
    public int Version => Volatile.Read(ref _version);

    /// <summary>No pattern anywhere: the common case, answered without the lock.</summary>
    public bool IsEmpty => Volatile.Read(ref _count) == 0;

    /// <summary>Distinct patterns with a subscriber on this node.</summary>
    public int LocalPatterns => Volatile.Read(ref _localPatterns);

    /// <summary>This node's topic registry: where a topic owner sends the messages this node's wildcard subscribers take.</summary>
    public IActorRef? LocalRegistry { get; set; }

    /// <summary>
    /// Adds (or updates) <paramref name="subscriber"/>'s subscription to <paramref name="pattern"/>;
    /// false when it had one already. <paramref name="newPattern"/> tells whether the pattern had no
    /// subscriber here before.
    /// </summary>
    public bool AddLocal(string pattern, IActorRef subscriber, TopicSubscription subscription, out bool newPattern)
    {
        lock (_lock)
        {
            Entry entry = EntryOf(pattern);
            newPattern = entry.Local.Count == 0;
            if (newPattern)
            {
                _localPatterns++;
            }

            bool added = !entry.Local.ContainsKey(subscriber);
            if (added)
            {
                if (!_bySubscriber.TryGetValue(subscriber, out List<string>? patterns))
                {
                    _bySubscriber[subscriber] = patterns = [];
                }

                patterns.Add(pattern);
            }

            entry.Local[subscriber] = subscription;
            Changed();
            return added;
        }
    }

    /// <summary>
    /// Removes <paramref name="subscriber"/>'s subscription to <paramref name="pattern"/>; false when it
    /// had none. <paramref name="patternGone"/> tells whether the pattern has no subscriber here now.
    /// </summary>
    public bool RemoveLocal(string pattern, IActorRef subscriber, out bool patternGone)
    {
        lock (_lock)
        {
            patternGone = false;
            if (!_entries.TryGetValue(pattern, out Entry? entry) || !entry.Local.Remove(subscriber))
            {
                return false;
            }

            if (_bySubscriber.TryGetValue(subscriber, out List<string>? patterns))
            {
                patterns.Remove(pattern);
                if (patterns.Count == 0)
                {
                    _bySubscriber.Remove(subscriber);
                }
            }

            patternGone = LocalEmptied(entry);
            Changed();
            return true;
        }
    }

    /// <summary>Removes every subscription of <paramref name="subscriber"/> (it stopped); returns how many, and the patterns left without a subscriber here.</summary>
    public int RemoveSubscriber(IActorRef subscriber, List<string> gone)
    {
        lock (_lock)
        {
            if (!_bySubscriber.Remove(subscriber, out List<string>? patterns))
            {
                return 0;
            }

            foreach (string pattern in patterns)
            {
                Entry entry = _entries[pattern];
                entry.Local.Remove(subscriber);
                if (LocalEmptied(entry))
                {
                    gone.Add(pattern);
                }
            }

            Changed();
            return patterns.Count;
        }
    }

    /// <summary>Whether <paramref name="subscriber"/> holds any pattern here.</summary>
    public bool HasSubscriber(IActorRef subscriber)
    {
        lock (_lock)
        {
            return _bySubscriber.ContainsKey(subscriber);
        }
    }

    /// <summary>
    /// The patterns the other nodes hold, as the cluster knows them now: replaces what was known before.
    /// </summary>
    public void SetRemote(IReadOnlyList<RemotePatterns> nodes)
    {
        lock (_lock)
        {
            foreach (Entry entry in _entries.Values.ToList())
            {
                if (entry.Nodes.Count > 0)
                {
                    entry.Nodes.Clear();
                    Forget(entry);
                }
            }

            foreach (RemotePatterns node in nodes)
            {
                foreach (string pattern in node.Patterns)
                {
                    EntryOf(pattern).Nodes[node.Key] = node.Registry;
                }
            }

            Changed();
        }
    }

    /// <summary>Whether the node <paramref name="node"/> (its key in the replicated table) is known to hold <paramref name="pattern"/>.</summary>
    public bool HasRemote(string node, string pattern)
    {
        lock (_lock)
        {
            return _entries.TryGetValue(pattern, out Entry? entry) && entry.Nodes.ContainsKey(node);
        }
    }

    /// <summary>This node's wildcard subscribers of <paramref name="topic"/>, each once however many of its patterns match.</summary>
    public List<KeyValuePair<IActorRef, TopicSubscription>> Local(string topic)
    {
        var found = new List<KeyValuePair<IActorRef, TopicSubscription>>();
        if (IsEmpty)
        {
            return found;
        }

        lock (_lock)
        {
            List<Entry> matched = Match(topic);
            if (matched.Count == 1)
            {
                found.AddRange(matched[0].Local);
            }
            else
            {
                var seen = new HashSet<IActorRef>();
                foreach (Entry entry in matched)
                {
                    foreach (KeyValuePair<IActorRef, TopicSubscription> pair in entry.Local)
                    {
                        if (seen.Add(pair.Key))
                        {
                            found.Add(pair);
                        }
                    }
                }
            }
        }

        return found;
    }

    /// <summary>
    /// The registries of the other nodes with a pattern that matches <paramref name="topic"/>, each
    /// once; with <paramref name="includeThisNode"/> also this node's, when one of its patterns matches.
    /// </summary>
    public IActorRef[] Nodes(string topic, bool includeThisNode)
    {
        if (IsEmpty)
        {
            return [];
        }

        lock (_lock)
        {
            List<Entry> matched = Match(topic);
            var nodes = new HashSet<IActorRef>();
            foreach (Entry entry in matched)
            {
                nodes.UnionWith(entry.Nodes.Values);
                if (includeThisNode && entry.Local.Count > 0 && LocalRegistry is { } registry)
                {
                    nodes.Add(registry);
                }
            }

            return [.. nodes];
        }
    }

    [ThreadStatic]
    private static List<Entry>? s_matched;

    private List<Entry> Match(string topic)
    {
        List<Entry> matched = s_matched ??= [];
        matched.Clear();
        _trie.Match(topic, matched);
        return matched;
    }

    private Entry EntryOf(string pattern)
    {
        if (!_entries.TryGetValue(pattern, out Entry? entry))
        {
            entry = new Entry(pattern);
            _entries.Add(pattern, entry);
            _trie.Add(pattern, entry);
            Volatile.Write(ref _count, _entries.Count);
        }

        return entry;
    }

    private bool LocalEmptied(Entry entry)
    {
        if (entry.Local.Count > 0)
        {
            return false;
        }

        _localPatterns--;
        Forget(entry);
        return true;
    }

    private void Forget(Entry entry)
    {
        if (entry.Local.Count == 0 && entry.Nodes.Count == 0)
        {
            _entries.Remove(entry.Pattern);
            _trie.Remove(entry.Pattern);
            Volatile.Write(ref _count, _entries.Count);
        }
    }

    private void Changed() => Interlocked.Increment(ref _version);

    /// <summary>One pattern: its subscribers here, and the other nodes that hold it.</summary>
    private sealed class Entry(string pattern)
    {
        public string Pattern { get; } = pattern;

        public Dictionary<IActorRef, TopicSubscription> Local { get; } = [];

        public Dictionary<string, IActorRef> Nodes { get; } = new(StringComparer.Ordinal);
    }

    private sealed class PatternDirectoryProvider : ExtensionIdProvider<PatternDirectory>
    {
        public override PatternDirectory CreateExtension(ExtendedActorSystem system) => new();
    }
}

/// <summary>The patterns another node holds.</summary>
/// <param name="Key">The node's key in the replicated table (its address and incarnation).</param>
/// <param name="Registry">Its topic registry, where its wildcard subscribers' messages go.</param>
/// <param name="Patterns">Its patterns.</param>
internal sealed record RemotePatterns(string Key, IActorRef Registry, IReadOnlyCollection<string> Patterns);
