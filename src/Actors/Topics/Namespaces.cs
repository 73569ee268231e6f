namespace ActorSocket.Actors.Topics;

/// <summary>Who may do something on a namespace's topics.</summary>
internal enum Permission
{
    /// <summary>Every connection, with or without an identity.</summary>
    Anyone,

    /// <summary>Connections with an identity (a validated token).</summary>
    Authenticated,

    /// <summary>Connections whose token grants the topic.</summary>
    Granted,

    /// <summary>No connection: only the server itself (its API, plugins).</summary>
    Nobody,
}

/// <summary>What happens to a subscriber that does not keep up with a namespace's topics.</summary>
internal enum SlowConsumerPolicy
{
    /// <summary>The connection is closed with 1008 <c>slow consumer</c> (version 1).</summary>
    Close,

    /// <summary>Queued messages of the topic are dropped, oldest first.</summary>
    DropOldest,

    /// <summary>Only the newest queued message of each topic is kept.</summary>
    Latest,
}

/// <summary>
/// The settings of one namespace (the part of a topic before its first <c>:</c>): its history, its
/// permissions and the features its topics have.
/// </summary>
internal sealed record NamespaceSettings
{
    /// <summary>The namespace's name; empty for the default namespace.</summary>
    public string Name { get; init; } = string.Empty;

    /// <summary>Messages a topic keeps; 0: no history (version 1 topics: no offsets, nothing kept).</summary>
    public int HistorySize { get; init; }

    /// <summary>How long a message is kept in the history.</summary>
    public TimeSpan HistoryTtl { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Most payload bytes one topic's history keeps; older messages go first past it.</summary>
    public long HistoryMaxBytes { get; init; } = 1024 * 1024;

    /// <summary>Whether the history is kept in a store that outlives the process.</summary>
    public bool HistoryDurable { get; init; }

    /// <summary>Whether topics of the namespace have presence.</summary>
    public bool Presence { get; init; }

    /// <summary>Whether subscribers receive join and leave events.</summary>
    public bool JoinLeave { get; init; }

    /// <summary>How long a connection that ended stays present: a client back within it neither leaves nor joins.</summary>
    public TimeSpan PresenceLeaveGrace { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Present clients a <c>presence</c> answer lists at most; past it, the counts only.</summary>
    public int PresenceMaxClients { get; init; } = 1000;

    /// <summary>Changes that follow one within this window go out together, as one <c>presence-diff</c> per subscriber.</summary>
    public TimeSpan PresenceWindow { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Whether subscriptions may use <c>*</c> and <c>&gt;</c> patterns.</summary>
    public bool Wildcards { get; init; }

    /// <summary>Who may subscribe.</summary>
    public Permission AllowSubscribe { get; init; }

    /// <summary>Who may publish.</summary>
    public Permission AllowPublish { get; init; }

    /// <summary>Who may read the history.</summary>
    public Permission AllowHistory { get; init; }

    /// <summary>Who may read the presence.</summary>
    public Permission AllowPresence { get; init; }

    /// <summary>What happens to a subscriber that falls behind.</summary>
    public SlowConsumerPolicy SlowConsumer { get; init; }

    /// <summary>
    /// Topics whose name after the namespace starts with this (<c>$</c>: <c>room:$board</c>) are
    /// private: subscribing, reading their history and presence need a token that grants them,
    /// whatever the namespace lets others do. Empty: no private topics.
    /// </summary>
    public string PrivatePrefix { get; init; } = string.Empty;

    /// <summary>A connection's publishes on this namespace's topics, on top of the server-wide limit; none when unset.</summary>
    public Identity.RateLimit PublishLimit { get; init; }

    /// <summary>Whether topics of the namespace keep a history (and so carry offsets).</summary>
    public bool HasHistory => HistorySize > 0;
}

/// <summary>The configured namespaces, looked up by topic.</summary>
internal sealed class NamespaceTable
{
    private readonly Dictionary<string, NamespaceSettings> _named;

    /// <summary>A table of <paramref name="defaultNamespace"/> and the <paramref name="named"/> ones.</summary>
    public NamespaceTable(NamespaceSettings defaultNamespace, IEnumerable<NamespaceSettings> named)
    {
        Default = defaultNamespace;
        _named = named.ToDictionary(settings => settings.Name, StringComparer.Ordinal);
    }

    /// <summary>Version 1 only: every topic in a default namespace without history.</summary>
    public static NamespaceTable None { get; } = new(new NamespaceSettings(), []);

    /// <summary>The default namespace: topics without <c>:</c>, and those of namespaces not configured.</summary>
    public NamespaceSettings Default { get; }

    /// <summary>Whether any namespace keeps a durable history (and so needs the history store).</summary>
    public bool AnyDurable => (Default.HasHistory && Default.HistoryDurable) || _named.Values.Any(space => space.HasHistory && space.HistoryDurable);

    /// <summary>The namespace part of <paramref name="topic"/>: before its first <c>:</c>, or empty.</summary>
    private static ReadOnlySpan<char> NamespaceOf(string topic)
    {
        int colon = topic.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? [] : topic.AsSpan(0, colon);
    }

    /// <summary>The settings that apply to <paramref name="topic"/>.</summary>
    public NamespaceSettings For(string topic)
    {
        if (_named.Count == 0)
        {
            return Default;
        }

        ReadOnlySpan<char> name = NamespaceOf(topic);
        return !name.IsEmpty && _named.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(name, out NamespaceSettings? settings) ? settings : Default;
    }
}
