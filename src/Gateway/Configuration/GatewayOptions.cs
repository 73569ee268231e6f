using ActorSocket.Actors.Connections;
using ActorSocket.Protocol;
using ActorSocket.Protocol.Deflate;
using ActorSocket.Protocol.Http;
using Akka.Configuration;

namespace ActorSocket.Gateway.Configuration;

/// <summary>The <c>actorsocket { ... }</c> section, read into typed settings.</summary>
internal sealed record GatewayOptions
{
    /// <summary>Address to listen on.</summary>
    public required string Host { get; init; }

    /// <summary>The server API (<c>api</c>): its keys (none: off), body limit and timeout.</summary>
    internal Api.ApiSettings Api { get; init; } = new();

    /// <summary>The demo token issuer of the chat page (<c>auth.demo-token-issuer</c>), or null (the default).</summary>
    public DemoTokens? DemoTokens { get; init; }

    /// <summary>Port to listen on; 0 picks a free one.</summary>
    public required int Port { get; init; }

    /// <summary>Listen backlog.</summary>
    public required int Backlog { get; init; }

    /// <summary>Connections served at once.</summary>
    public required int MaxConnections { get; init; }

    /// <summary>
    /// Whether plain connections read on epoll readiness (<c>socket-reads = readiness</c>, the
    /// default; Linux only, elsewhere they fall back) rather than with .NET's asynchronous receive
    /// (<c>async</c>).
    /// </summary>
    public bool ReadinessReads { get; init; } = true;

    /// <summary>
    /// Event loops the connection actors run on (<c>event-loops</c>): 0 runs them on Akka's default
    /// dispatcher (the .NET thread pool).
    /// </summary>
    public int EventLoops { get; init; }

    /// <summary>Per-connection limits and timers.</summary>
    public required ConnectionSettings Connection { get; init; }

    /// <summary>Handshake options shared by the routes (compression).</summary>
    public required PerMessageDeflateOptions Deflate { get; init; }

    /// <summary>The /pubsub handler's limits.</summary>
    public required ActorSocket.Actors.Handlers.PubSubSettings PubSub { get; init; }

    /// <summary>The topic layer's settings.</summary>
    public required ActorSocket.Actors.Topics.TopicSettings Topics { get; init; }

    /// <summary>Clustering (off by default).</summary>
    public required ClusterOptions Cluster { get; init; }

    /// <summary>Where durable topics keep their history.</summary>
    public required HistoryStoreOptions HistoryStore { get; init; }

    /// <summary>Route path to handler name and subprotocols.</summary>
    public required IReadOnlyList<RouteOptions> Routes { get; init; }

    /// <summary>Directories searched for handler assemblies named in routes.</summary>
    public required IReadOnlyList<string> PluginDirectories { get; init; }

    /// <summary>Peers trusted to name the client in X-Forwarded-For.</summary>
    public required IReadOnlyList<string> TrustedProxies { get; init; }

    /// <summary>TLS certificate file (PFX, or PEM with <see cref="TlsKey"/>); empty for plain TCP.</summary>
    public required string TlsCertificate { get; init; }

    /// <summary>PEM private key file for a PEM certificate.</summary>
    public required string TlsKey { get; init; }

    /// <summary>PFX password.</summary>
    public required string TlsPassword { get; init; }

    /// <summary>How long shutdown waits for close handshakes.</summary>
    public required TimeSpan DrainTimeout { get; init; }

    /// <summary>Serilog minimum level.</summary>
    public required string LogLevel { get; init; }

    /// <summary><c>text</c> or <c>json</c>.</summary>
    public required string LogFormat { get; init; }

    /// <summary>
    /// The Akka dispatchers of the event loops, <c>actorsocket.event-loop-N</c>, to fold under the
    /// configuration: one per loop, each on its own loop thread.
    /// </summary>
    public Config EventLoopConfig()
    {
        var hocon = new System.Text.StringBuilder();
        for (int i = 0; i < EventLoops; i++)
        {
            hocon.Append(EventLoopDispatcher(i)).Append(" {\n")
                .Append("  type = Dispatcher\n")
                .Append("  executor = \"ActorSocket.Actors.Dispatch.EventLoopExecutorConfigurator, ActorSocket.Actors\"\n")
                .Append("  event-loop.index = ").Append(i).Append('\n')
                .Append("  throughput = 64\n")
                .Append("}\n");
        }

        return ConfigurationFactory.ParseString(hocon.ToString());
    }

    private static string EventLoopDispatcher(int index) => "actorsocket.event-loop-" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// <c>event-loops</c>: <c>auto</c> is one loop per processor but one where sockets are read on epoll
    /// readiness (Linux), none elsewhere; <c>off</c> or 0 is none; a number is that many (readiness
    /// reads needed).
    /// </summary>
    private static int EventLoopCount(string value, bool readiness)
    {
        bool available = readiness && ActorSocket.Actors.Transport.SocketTransport.ReadinessUnavailable is null;
        switch (value)
        {
            case "auto":
                // One core is left to the thread pool (handlers, TLS, the cluster, timers); on this
                // project's 2-core machine that is one loop, which also measured best there.
                return available ? Math.Max(1, Environment.ProcessorCount - 1) : 0;
            case "off":
                return 0;
        }

        if (!int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int count) || count > 256)
        {
            throw new ConfigurationException("actorsocket.event-loops must be auto, off or a number of loops from 0 to 256, not " + value + ".");
        }

        return available ? count : 0;
    }

    /// <summary>Reads the section from a full configuration (defaults already folded in).</summary>
    public static GatewayOptions From(Config config)
    {
        Config c = config.GetConfig("actorsocket") ?? throw new ConfigurationException("The configuration has no actorsocket section.");
        var deflate = new PerMessageDeflateOptions
        {
            Enabled = c.GetBoolean("compression.enabled"),
            CompressionLevel = Range(c.GetInt("compression.level"), 0, 9, "compression.level"),
            MinimumSize = Range(c.GetInt("compression.min-size"), 0, int.MaxValue, "compression.min-size"),
            ServerContextTakeover = c.GetBoolean("compression.server-context-takeover"),
            ClientMaxWindowBits = Range(c.GetInt("compression.client-max-window-bits"), 8, 15, "compression.client-max-window-bits"),
        };
        var codec = new WebSocketCodecOptions
        {
            MaxMessageSize = Range(c.GetInt("max-message-size"), 1, int.MaxValue / 2, "max-message-size"),
            Deflate = deflate,
        };
        bool readiness = c.GetString("socket-reads", "readiness") switch
        {
            "readiness" => true,
            "async" => false,
            string other => throw new ConfigurationException("actorsocket.socket-reads must be readiness or async, not " + other + "."),
        };
        int loops = EventLoopCount(c.GetString("event-loops", "auto"), readiness);
        ActorSocket.Actors.Identity.JwtSettings? jwt = JwtOptions.From(c);
        DemoTokens? demo = null;
        if (c.GetBoolean("auth.demo-token-issuer", false))
        {
            // Tokens for any name to whoever asks: on a loopback address only, with a key of this process.
            demo = DemoTokens.Refusal(c.GetString("host")) is { } refusal ? throw new ConfigurationException(refusal) : new DemoTokens();
            jwt = (jwt ?? new ActorSocket.Actors.Identity.JwtSettings()) is var settings ? settings with { Keys = [.. settings.Keys, demo.Key] } : null;
        }

        var connection = new ConnectionSettings
        {
            TokenExpiryGrace = jwt?.ExpiryGrace ?? TimeSpan.FromSeconds(2),
            Dispatchers = [.. Enumerable.Range(0, loops).Select(EventLoopDispatcher)],
            Codec = codec,
            Http = new HttpParserOptions
            {
                MaxHeadBytes = Range(c.GetInt("max-request-head-bytes"), 256, 1024 * 1024, "max-request-head-bytes"),
                MaxHeaders = Range(c.GetInt("max-request-headers"), 1, 10_000, "max-request-headers"),
            },
            HandshakeTimeout = Positive(c.GetTimeSpan("handshake-timeout"), "handshake-timeout"),
            PingInterval = Positive(c.GetTimeSpan("ping-interval"), "ping-interval"),
            PingTimeout = Positive(c.GetTimeSpan("ping-timeout"), "ping-timeout"),
            CloseTimeout = Positive(c.GetTimeSpan("close-timeout"), "close-timeout"),
            MaxOutboundBytes = Range(c.GetInt("max-outbound-bytes"), 1024, int.MaxValue, "max-outbound-bytes"),
            ReadBufferSize = Range(c.GetInt("read-buffer-size"), 512, 16 * 1024 * 1024, "read-buffer-size"),
            HandlerDrainTimeout = Positive(c.GetTimeSpan("handler-drain-timeout"), "handler-drain-timeout"),
            HandlerDispatcher = c.HasPath("handler-dispatcher") ? "actorsocket.handler-dispatcher" : null,
            Mailbox = c.HasPath("connection-mailbox.mailbox-type") ? "actorsocket.connection-mailbox" : null,
            HandlerMailbox = c.HasPath("handler-mailbox.mailbox-type") ? "actorsocket.handler-mailbox" : null,
            HandlerQueue = Range(c.GetInt("handler-queue"), 1, 1_000_000, "handler-queue"),
            InlinePending = Range(c.GetInt("max-pending-requests"), 1, 1_000_000, "max-pending-requests"),
            WriteTimeout = Positive(c.GetTimeSpan("write-timeout"), "write-timeout"),
            MinMessageRate = NonNegative(c.GetDouble("min-message-rate"), "min-message-rate"),
            MaxConnectionsPerAddress = Range(c.GetInt("max-connections-per-address"), 0, int.MaxValue, "max-connections-per-address"),
            ConnectionsPerSecondPerAddress = NonNegative(c.GetDouble("connections-per-second-per-address"), "connections-per-second-per-address"),
            ConnectionBurstPerAddress = Range(c.GetInt("connection-burst-per-address"), 1, int.MaxValue, "connection-burst-per-address"),
            ConnectionsPerSecond = NonNegative(c.GetDouble("connections-per-second"), "connections-per-second"),
            ConnectionBurst = Range(c.GetInt("connection-burst"), 1, int.MaxValue, "connection-burst"),
            PerAddressExempt = ValidNetworks(c.GetStringList("per-address-exempt", []).ToList(), "per-address-exempt"),
        };

        ActorSocket.Actors.Topics.NamespaceTable namespaces = NamespaceOptions.From(c);

        var routes = new List<RouteOptions>();
        Config? routesConfig = c.GetConfig("routes");
        if (routesConfig is not null && !routesConfig.IsEmpty)
        {
            foreach (var entry in routesConfig.AsEnumerable())
            {
                // Keys are paths; HOCON hands them back quoted when they contain slashes.
                string path = entry.Key.Trim('"');
                Config route = routesConfig.GetConfig("\"" + path + "\"");
                string handler = route.GetString("handler", string.Empty);
                if (!path.StartsWith('/') || handler.Length == 0)
                {
                    throw new ConfigurationException("Route " + entry.Key + " needs a path starting with / and a handler.");
                }

                string dispatcher = route.GetString("dispatcher", string.Empty);
                if (dispatcher.Length > 0 && !config.HasPath(dispatcher))
                {
                    throw new ConfigurationException("Route " + path + ": dispatcher \"" + dispatcher + "\" is not configured.");
                }

                string authType = route.GetString("auth.type", "none");
                if (authType is not ("none" or "bearer" or "basic"))
                {
                    throw new ConfigurationException("Route " + path + ": auth.type must be none, bearer or basic, not " + authType + ".");
                }

                bool routeJwt = route.GetString("jwt", "auto") switch
                {
                    "auto" => jwt is not null,
                    "on" => jwt is not null ? true : throw new ConfigurationException("Route " + path + ": jwt = on, but actorsocket.auth.jwt has no key (hs256-secrets, public-keys or key-files)."),
                    "off" => false,
                    string other => throw new ConfigurationException("Route " + path + ": jwt must be auto, on or off, not " + other + "."),
                };
                if (routeJwt && authType != "none")
                {
                    throw new ConfigurationException("Route " + path + ": static auth (auth.type = " + authType + ") and JWT identity (actorsocket.auth.jwt) on the same route. A connection gets one identity: remove the route's auth, or set jwt = off on it.");
                }

                routes.Add(new RouteOptions(path, handler, route.GetStringList("subprotocols", []).ToList(), dispatcher.Length > 0 ? dispatcher : null)
                {
                    Jwt = routeJwt,
                    AllowedOrigins = route.GetStringList("allowed-origins", []).ToList(),
                    RequireOrigin = route.GetBoolean("require-origin", false),
                    AuthType = authType,
                    AuthEntries = ReadMap(route, authType == "bearer" ? "auth.tokens" : "auth.users"),
                });
            }
        }

        return new GatewayOptions
        {
            DemoTokens = demo,
            Api = ApiOptions.From(c),
            Host = c.GetString("host"),
            Port = Range(c.GetInt("port"), 0, 65535, "port"),
            Backlog = Range(c.GetInt("backlog"), 1, 65535, "backlog"),
            MaxConnections = Range(c.GetInt("max-connections"), 1, int.MaxValue, "max-connections"),
            ReadinessReads = readiness,
            EventLoops = loops,
            Connection = connection,
            Deflate = deflate,
            Routes = routes,
            PubSub = new ActorSocket.Actors.Handlers.PubSubSettings
            {
                Namespaces = namespaces,
                Jwt = jwt is null ? null : new ActorSocket.Actors.Identity.JwtValidator(jwt),
                RateLimits = RateLimitOptions.From(c),
                MaxHistoryReplyBytes = Range(c.GetInt("pubsub.max-history-reply-bytes", 921600), 1024, int.MaxValue, "pubsub.max-history-reply-bytes"),
                MaxTopicsPerConnection = Range(c.GetInt("pubsub.max-topics-per-connection"), 1, 1_000_000, "pubsub.max-topics-per-connection"),
                Limits = new ActorSocket.Protocol.PubSub.PubSubLimits
                {
                    MaxPublishBytes = Range(c.GetInt("pubsub.max-publish-bytes"), 2, int.MaxValue, "pubsub.max-publish-bytes"),
                },
            },
            Topics = new ActorSocket.Actors.Topics.TopicSettings
            {
                Dispatchers = connection.Dispatchers,
                IdleTimeout = Positive(c.GetTimeSpan("pubsub.topic-idle-timeout"), "pubsub.topic-idle-timeout"),
                MaxTopics = Range(c.GetInt("pubsub.max-topics"), 1, int.MaxValue, "pubsub.max-topics"),
                MaxSubscriptions = Range(c.GetInt("pubsub.max-subscriptions"), 1, int.MaxValue, "pubsub.max-subscriptions"),
                MaxPatterns = Range(c.GetInt("pubsub.max-patterns"), 0, 1_000_000, "pubsub.max-patterns"),
                Namespaces = namespaces,
                HistoryMaxBytes = PositiveBytes(c, "pubsub.history-max-bytes", 256L * 1024 * 1024),
            },
            Cluster = ClusterOptions.From(c),
            HistoryStore = HistoryStoreOptions.From(c, namespaces, c.GetBoolean("cluster.enabled")),
            TrustedProxies = c.GetStringList("trusted-proxies", []).ToList(),
            PluginDirectories = c.GetStringList("plugin-directories", []).ToList(),
            TlsCertificate = c.GetString("tls.certificate", string.Empty),
            TlsKey = c.GetString("tls.key", string.Empty),
            TlsPassword = c.GetString("tls.password", string.Empty),
            DrainTimeout = Positive(c.GetTimeSpan("shutdown.drain-timeout"), "shutdown.drain-timeout"),
            LogLevel = c.GetString("logging.level"),
            LogFormat = c.GetString("logging.format"),
        };
    }

    private static Dictionary<string, string> ReadMap(Config config, string path)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        Config? section = config.HasPath(path) ? config.GetConfig(path) : null;
        if (section is not null && !section.IsEmpty)
        {
            foreach (var entry in section.AsEnumerable())
            {
                map[entry.Key.Trim('"')] = entry.Value.GetString();
            }
        }

        return map;
    }

    private static long PositiveBytes(Config c, string key, long fallback)
    {
        long? value = c.HasPath(key) ? c.GetByteSize(key) : fallback;
        return value is > 0 ? value.Value : throw new ConfigurationException($"actorsocket.{key} must be a positive size.");
    }

    private static int Range(int value, int min, int max, string key) =>
        value >= min && value <= max ? value : throw new ConfigurationException($"actorsocket.{key} = {value} is outside {min}..{max}.");

    private static List<string> ValidNetworks(List<string> entries, string key)
    {
        foreach (string entry in entries)
        {
            bool valid = entry.Contains('/') ? System.Net.IPNetwork.TryParse(entry, out _) : System.Net.IPAddress.TryParse(entry, out _);
            if (!valid)
            {
                throw new ConfigurationException($"actorsocket.{key}: \"{entry}\" is neither an address nor a CIDR range.");
            }
        }

        return entries;
    }

    private static double NonNegative(double value, string key) =>
        value >= 0 && double.IsFinite(value) ? value : throw new ConfigurationException($"actorsocket.{key} = {value} must be a number >= 0.");

    private static TimeSpan Positive(TimeSpan value, string key) =>
        value > TimeSpan.Zero ? value : throw new ConfigurationException($"actorsocket.{key} must be positive.");
}

/// <summary>One configured route.</summary>
/// <param name="Path">Request path.</param>
/// <param name="Handler">Handler name (<c>echo</c>) or type.</param>
/// <param name="SubProtocols">Subprotocols in the server's order of preference.</param>
/// <param name="Dispatcher">The HOCON path of the dispatcher its handlers run on; null for the handler dispatcher.</param>
internal sealed record RouteOptions(string Path, string Handler, IReadOnlyList<string> SubProtocols, string? Dispatcher = null)
{
    /// <summary>Browser origins allowed; empty for any.</summary>
    public IReadOnlyList<string> AllowedOrigins { get; init; } = [];

    /// <summary>Whether a request without <c>Origin</c> is refused (403) on a route with <see cref="AllowedOrigins"/>.</summary>
    public bool RequireOrigin { get; init; }

    /// <summary>Whether connections on the route may present a JWT (at the handshake, or in a <c>connect</c> frame on <c>/pubsub</c>).</summary>
    public bool Jwt { get; init; }

    /// <summary><c>none</c>, <c>bearer</c> or <c>basic</c>.</summary>
    public string AuthType { get; init; } = "none";

    /// <summary>Bearer: token to identity name. Basic: user name to password.</summary>
    public IReadOnlyDictionary<string, string> AuthEntries { get; init; } = new Dictionary<string, string>();
}
