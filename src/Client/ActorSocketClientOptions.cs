namespace ActorSocket.Client;

/// <summary>How an <see cref="ActorSocketClient"/> connects and reconnects.</summary>
public sealed class ActorSocketClientOptions
{
    /// <summary>
    /// The servers' <c>/pubsub</c> URLs (<c>ws://host:8080/pubsub</c>). With several (the nodes of a
    /// cluster), each reconnect tries the next one, so a client moves away from a node that died.
    /// </summary>
    public IList<Uri> Urls { get; } = new List<Uri>();

    /// <summary>A token (JWT) sent at the handshake; see <see cref="TokenProvider"/> for one that changes.</summary>
    public string? Token { get; set; }

    /// <summary>
    /// Gives the token for each connection (called before every connect and reconnect), so that an
    /// expired token is replaced; with it, a close for an expired or refused token (3001, 3000, 401)
    /// is retried with a fresh one. Wins over <see cref="Token"/>.
    /// </summary>
    public Func<CancellationToken, ValueTask<string?>>? TokenProvider { get; set; }

    /// <summary>The shortest wait before a reconnect. Default 0.5 s.</summary>
    public TimeSpan ReconnectFloor { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest wait before a reconnect. Default 30 s.</summary>
    public TimeSpan ReconnectCap { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A connection that lasted this long resets the backoff (the next loss is retried quickly again). Default 10 s.</summary>
    public TimeSpan StableAfter { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gives up reconnecting after this many attempts in a row; 0 (the default): never.</summary>
    public int MaxReconnectAttempts { get; set; }

    /// <summary>The longest wait for a request's answer, and for a connection while disconnected. Default 10 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest a connection attempt (TCP, TLS and handshake) may take. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How often the client pings the server, and how long it waits for the pong before it drops
    /// the connection and reconnects: the server's own defaults (20 s each).
    /// </summary>
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>See <see cref="PingInterval"/>.</summary>
    public TimeSpan PingTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Messages a subscription buffers for a consumer that is behind; past it the client stops reading (the server then sees a slow consumer). Default 10,000.</summary>
    public int SubscriptionBuffer { get; set; } = 10_000;

    /// <summary>The largest message the client takes (a larger one drops the connection with 1009). Default 16 MiB.</summary>
    public int MaxMessageBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>The clock of the backoff and the timeouts (tests use a fake one).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>The jitter's randomness (tests use a seeded one).</summary>
    public Random Random { get; set; } = Random.Shared;
}
