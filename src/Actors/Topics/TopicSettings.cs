namespace ActorSocket.Actors.Topics;

/// <summary>Settings of the topic layer.</summary>
internal sealed record TopicSettings
{
    /// <summary>How long a topic without subscribers lives on. 30 s: a reconnecting client finds its topic still there; a dead one costs nothing for long.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Topics one node holds at once; a subscribe (or, in a cluster, a publish) that would start
    /// one more is refused with <c>unavailable</c>. 100,000: far above a chat server's rooms, and
    /// at about 1 KiB per topic actor 100 MiB at most, whatever names clients make up.
    /// </summary>
    public int MaxTopics { get; init; } = 100_000;

    /// <summary>
    /// Subscriptions one node holds at once (every connection's topics together); a subscribe past
    /// it is refused with <c>unavailable</c>. 1,000,000: 20 per connection at 50,000 connections,
    /// about 100 B each in the topic actors.
    /// </summary>
    public int MaxSubscriptions { get; init; } = 1_000_000;

    /// <summary>
    /// Distinct wildcard patterns one node's subscribers hold at once; a subscribe to one more is
    /// refused with <c>unavailable</c>. 10,000: matching a topic does not grow with their number,
    /// but in a cluster every node keeps every node's patterns in a replicated table.
    /// </summary>
    public int MaxPatterns { get; init; } = 10_000;

    /// <summary>
    /// The event-loop dispatchers topic actors are spread over, as the connections are (each topic
    /// on one loop for its life); empty: Akka's default dispatcher.
    /// </summary>
    public IReadOnlyList<string> Dispatchers { get; init; } = [];

    /// <summary>The namespaces: which topics keep a history, and how much.</summary>
    public NamespaceTable Namespaces { get; init; } = NamespaceTable.None;

    /// <summary>
    /// Bytes all topic histories of a node may hold together (payloads and per-message overhead).
    /// 256 MiB: a tenth of a small 2-4 GiB node; 2,500 rooms with a full default history of
    /// 100 messages of 1 KiB. Past it a topic gives up its own oldest messages to keep a new one.
    /// </summary>
    public long HistoryMaxBytes { get; init; } = 256L * 1024 * 1024;
}
