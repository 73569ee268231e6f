using ActorSocket.Protocol.PubSub;

namespace ActorSocket.Actors.Handlers;

/// <summary>Limits of the <c>/pubsub</c> handler.</summary>
internal sealed record PubSubSettings
{
    /// <summary>Topics one connection may be subscribed to. 100: a chat client joins a handful of rooms; the bound keeps per-connection state small.</summary>
    public int MaxTopicsPerConnection { get; init; } = 100;

    /// <summary>Topic length and publish size bounds.</summary>
    public PubSubLimits Limits { get; init; } = PubSubLimits.Default;

    /// <summary>The namespaces: which topics have history, and who may do what on them.</summary>
    public Topics.NamespaceTable Namespaces { get; init; } = Topics.NamespaceTable.None;

    /// <summary>
    /// Most bytes of message data in one <c>history</c> answer; a longer history is cut (the newest
    /// kept without <c>since</c>, the oldest after it with <c>since</c>, so that a client pages
    /// forward). 900 KiB: the answer stays under the 1 MiB message limit clients such as Python's
    /// websockets have by default.
    /// </summary>
    public int MaxHistoryReplyBytes { get; init; } = 900 * 1024;

    /// <summary>Checks the tokens of <c>connect</c> and <c>refresh</c>; null when no key is configured (every token is refused).</summary>
    public Identity.JwtValidator? Jwt { get; init; }

    /// <summary>The per-connection rate limits; none by default (the benchmarks run unchanged).</summary>
    public RateLimits RateLimits { get; init; } = RateLimits.None;

    /// <summary>
    /// Where a user's bucket is asked (<see cref="Identity.UserLimitsGate"/>) when
    /// <see cref="RateLimits.UserPublishes"/> is set; null: no per-user limit.
    /// </summary>
    public Akka.Actor.IActorRef? UserLimits { get; init; }

    /// <summary>The clock rate limits are measured with, in milliseconds (a fake one in tests).</summary>
    public Func<long> Clock { get; init; } = static () => Environment.TickCount64;

    /// <summary>
    /// This server's part of client ids (<c>connected</c>'s <c>client</c>) and of connections' origin
    /// tags (<c>"echo": false</c>): random per process, so that both are unique in a cluster.
    /// </summary>
    public uint NodeNumber { get; init; } = BitConverter.ToUInt32(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4)) | 1;

    /// <summary>Where refusals and rate limits are counted; null: not counted (tests).</summary>
    public Metrics.ServerMetrics? Metrics { get; init; }
}

/// <summary>The rate limits of one <c>/pubsub</c> connection (token buckets), and what happens past them.</summary>
internal sealed record RateLimits
{
    /// <summary>No limit at all.</summary>
    public static RateLimits None { get; } = new();

    /// <summary>Every request (subscribe, publish, history, connect...), per connection.</summary>
    public Identity.RateLimit Requests { get; init; }

    /// <summary>Publishes, per connection (and per namespace where a namespace sets its own).</summary>
    public Identity.RateLimit Publishes { get; init; }

    /// <summary>Publishes per user, shared by all the user's connections on every node; anonymous connections have none.</summary>
    public Identity.RateLimit UserPublishes { get; init; }

    /// <summary>
    /// How many <c>rate_limited</c> answers a connection may collect in ten seconds (they come back at
    /// that pace) before it is closed with 1008 <c>rate limit</c>: a client that backs off when told
    /// keeps its connection, one that keeps pushing loses it.
    /// </summary>
    public int ErrorBudget { get; init; } = 50;

    /// <summary>Whether any limit is set (a namespace may still set its own publish limit).</summary>
    public bool Any => Requests.IsSet || Publishes.IsSet;
}
