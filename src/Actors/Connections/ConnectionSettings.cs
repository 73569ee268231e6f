using ActorSocket.Protocol;
using ActorSocket.Protocol.Http;

namespace ActorSocket.Actors.Connections;

/// <summary>Per-connection limits and timers. Every default carries its reason.</summary>
internal sealed record ConnectionSettings
{
    /// <summary>Codec limits (maximum message size, compression).</summary>
    public WebSocketCodecOptions Codec { get; init; } = WebSocketCodecOptions.Default;

    /// <summary>HTTP request head bounds.</summary>
    public HttpParserOptions Http { get; init; } = HttpParserOptions.Default;

    /// <summary>Time from accept to a complete handshake. 10 s: a slowloris client is dropped; a real one needs milliseconds.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Interval between keepalive pings. 20 s, the websockets default: under common 30-60 s proxy idle timeouts.</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>How long a ping may wait for its pong before the connection is closed with 1011. 20 s, the websockets default.</summary>
    public TimeSpan PingTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// How long after its token's <c>exp</c> a connection with a <see cref="Identity.ClientIdentity"/> that was
    /// not refreshed is closed with 3001. 2 s: room for a refresh sent just in time to arrive.
    /// </summary>
    public TimeSpan TokenExpiryGrace { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long our close frame may wait for the peer's before TCP is dropped. 10 s, as websockets' close_timeout.</summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Bytes queued for one client (in flight plus waiting) before it is closed with 1008 slow
    /// consumer. 4 MiB: a full-size message in flight and three more queued; a client that falls
    /// further behind will not catch up, and its backlog must not grow without bound.
    /// </summary>
    public int MaxOutboundBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>
    /// The codec options a server connection runs with: <see cref="Codec"/>, but the close frame waits
    /// until the handler has answered what it was sent. Derived once, not per connection.
    /// </summary>
    /// <remarks>Kept with the <see cref="Codec"/> it came from: a <c>with</c> copy that changes the codec derives anew.</remarks>
    internal WebSocketCodecOptions ServerCodec
    {
        get
        {
            ServerCodecCache? cache = _serverCodec;
            if (cache is null || !ReferenceEquals(cache.From, Codec))
            {
                cache = new ServerCodecCache(Codec, Codec with { AutoCloseReply = false });
                _serverCodec = cache;
            }

            return cache.Server;
        }
    }

    private ServerCodecCache? _serverCodec;

    private sealed record ServerCodecCache(WebSocketCodecOptions From, WebSocketCodecOptions Server);

    /// <summary>Size of a read, rented only while data is there. 16 KiB: one TLS record; larger reads buy little.</summary>
    public int ReadBufferSize { get; init; } = 16 * 1024;

    /// <summary>
    /// The dispatcher handlers run on unless their route names another; null for Akka's default.
    /// The daemon sets <c>actorsocket.handler-dispatcher</c>: threads of their own, so a handler that
    /// blocks never stalls sockets, keepalive or topics.
    /// </summary>
    public string? HandlerDispatcher { get; init; }

    /// <summary>
    /// The HOCON paths of the event-loop dispatchers connection actors are spread over, one per loop
    /// (<see cref="Dispatch.EventLoopExecutorConfigurator"/>); empty: Akka's default dispatcher.
    /// </summary>
    public IReadOnlyList<string> Dispatchers { get; init; } = [];

    /// <summary>
    /// The HOCON path of the connection actors' mailbox (<c>actorsocket.connection-mailbox</c>, a
    /// <see cref="Dispatch.CompactMailbox"/>); null for Akka's default mailbox.
    /// </summary>
    public string? Mailbox { get; init; }

    /// <summary>
    /// The HOCON path of the handler actors' mailbox (<c>actorsocket.handler-mailbox</c>, a
    /// <see cref="Dispatch.HandlerMailbox"/>), which tells the connection when the handler takes a
    /// message, so that at most <see cref="HandlerQueue"/> wait; null: handler queues are not bounded.
    /// </summary>
    public string? HandlerMailbox { get; init; }

    /// <summary>
    /// Messages a handler actor may have been handed and not yet taken; past it the connection stops
    /// reading its socket until the handler catches up. 16, websockets' max_queue: a slow or blocked
    /// handler holds at most 16 messages (16 MiB at the default message limit), never more.
    /// </summary>
    public int HandlerQueue { get; init; } = 16;

    /// <summary>
    /// Requests an inline handler handed to other actors (the built-in <c>/pubsub</c>'s publishes and
    /// subscriptions) and not yet answered; past it the socket is not read until answers come back.
    /// 256: far above what one client has in flight when it waits for acks (the benchmarks keep 64),
    /// and at the 64 KiB publish limit 16 MiB at most per connection.
    /// </summary>
    public int InlinePending { get; init; } = 256;

    /// <summary>
    /// The slowest a frame or message in progress may arrive, in bytes per second, measured from one
    /// keepalive ping to the next; slower closes with 1008. 240, Kestrel's minimum request body rate:
    /// a 1 MiB message then has over an hour, a client trickling a message to hold the server's
    /// buffers is dropped. 0: no minimum.
    /// </summary>
    public double MinMessageRate { get; init; } = 240;

    /// <summary>
    /// How long a send may wait for the client to take any byte before the connection is dropped
    /// (1008 slow consumer when open). 30 s: longer than a mobile network's usual stall, shorter
    /// than the time a client that stopped reading may hold its backlog.
    /// </summary>
    public TimeSpan WriteTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Concurrent connections one address may hold (IPv6: one /64); more are answered 429 at accept.
    /// 0: no limit. Loopback and trusted proxies are exempt (<see cref="PerAddressExempt"/>).
    /// </summary>
    public int MaxConnectionsPerAddress { get; init; }

    /// <summary>New connections per second one address may open (a token bucket); more are answered 429 at accept. 0: no limit.</summary>
    public double ConnectionsPerSecondPerAddress { get; init; }

    /// <summary>How many connections one address may open at once before <see cref="ConnectionsPerSecondPerAddress"/> applies.</summary>
    public double ConnectionBurstPerAddress { get; init; } = 1;

    /// <summary>
    /// New connections per second the whole server accepts (a token bucket holding
    /// <see cref="ConnectionBurst"/>); more are answered 503 at accept, whatever their address. 0: no limit.
    /// </summary>
    public double ConnectionsPerSecond { get; init; }

    /// <summary>How many connections the server accepts at once before <see cref="ConnectionsPerSecond"/> applies.</summary>
    public double ConnectionBurst { get; init; } = 1;

    /// <summary>Addresses and CIDR ranges the per-address limits do not apply to.</summary>
    public IReadOnlyList<string> PerAddressExempt { get; init; } = [];

    /// <summary>How long a handler may take to finish after its connection ended before it is stopped. 5 s.</summary>
    public TimeSpan HandlerDrainTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
