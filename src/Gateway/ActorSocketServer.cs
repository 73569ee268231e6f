using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using ActorSocket.Actors.Cluster;
using ActorSocket.Actors.Connections;
using ActorSocket.Actors.Handlers;
using ActorSocket.Actors.Identity;
using ActorSocket.Actors.Metrics;
using ActorSocket.Actors.Topics;
using ActorSocket.Actors.Transport;
using ActorSocket.Gateway.Configuration;
using ActorSocket.Protocol.Http;
using Akka.Actor;
using Microsoft.Extensions.Logging;

namespace ActorSocket.Gateway;

/// <summary>
/// One listening server: the socket, the accept loop and the connections supervisor. Thin by
/// design: everything about a connection happens in its actor. An application gets it from its
/// host (<see cref="GatewayHost.Server"/>) after <see cref="GatewayHost.AddActorSocket"/>.
/// </summary>
public sealed class ActorSocketServer : IAsyncDisposable
{
    private readonly GatewayOptions _options;
    private readonly ActorSystem _system;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Socket? _listener;
    private Task? _acceptLoop;
    private Socket? _apiListener;
    private Task? _apiAcceptLoop;
    private IActorRef? _apiSupervisor;
    private IActorRef? _supervisor;
    private IActorRef? _topics;
    private readonly HistoryBudget? _budget;
    private readonly IActorRef? _owners;
    private readonly HistoryStore? _store;
    private readonly IActorRef? _userBudgets;
    private PauseDetector? _pauses;
    private IActorRef? _userLimits;
    private ActorSocket.Actors.Api.ServerApi? _api;
    private volatile bool _shuttingDown;

    /// <summary>Creates a server that is not listening yet.</summary>
    internal ActorSocketServer(GatewayOptions options, ActorSystem system, ILoggerFactory loggerFactory, ServerMetrics? metrics = null, HistoryBudget? budget = null, IActorRef? owners = null, HistoryStore? store = null, IActorRef? userBudgets = null)
    {
        _userBudgets = userBudgets;
        _budget = budget;
        _owners = owners;
        _store = store;
        _options = options;
        _system = system;
        _logger = loggerFactory.CreateLogger("ActorSocket.Gateway");
        ConnectionLogger = loggerFactory.CreateLogger("ActorSocket.Connections");
        Metrics = metrics ?? new ServerMetrics();
    }

    /// <summary>Where the server API listens when it has a port of its own (<c>api.port</c>); null otherwise.</summary>
    internal IPEndPoint? ApiEndPoint { get; private set; }

    /// <summary>Where the server listens, once started.</summary>
    public IPEndPoint? EndPoint { get; private set; }

    /// <summary>The server's metrics.</summary>
    internal ServerMetrics Metrics { get; }

    /// <summary>Whether a graceful shutdown has begun.</summary>
    public bool IsShuttingDown => _shuttingDown;

    /// <summary>The connections supervisor, once started.</summary>
    internal IActorRef Supervisor => _supervisor ?? throw new InvalidOperationException("The server is not started.");

    /// <summary>
    /// The topic backend (<see cref="ActorSocket.Actors.Topics.Topic"/> protocol): any actor may
    /// subscribe to and publish on the same topics as <c>/pubsub</c> clients.
    /// </summary>
    public IActorRef Topics => _topics ?? throw new InvalidOperationException("The server is not started.");

    /// <summary>The URL clients connect to.</summary>
    public string Url => (_options.TlsCertificate.Length > 0 ? "wss://" : "ws://") + FormatEndPoint(EndPoint!);

    private ILogger ConnectionLogger { get; }

    /// <summary>Binds, starts the supervisor and the accept loop.</summary>
    internal void Start(IEnumerable<Route>? extraRoutes = null)
    {
        X509Certificate2? certificate = LoadCertificate();
        ClusterBridge? cluster = StartCluster();
        OwnerLink? durableOwners = null;
        if (cluster is null && _store is not null)
        {
            // One node with durable topics: their owners (the writers of the store) live here, unsharded.
            IActorRef owners = _system.ActorOf(
                LocalOwners.Props(TopicOwner.PropsFactory(_options.Topics.Namespaces, _budget ?? new HistoryBudget(_options.Topics.HistoryMaxBytes, Metrics), Metrics, _options.Topics.IdleTimeout, _options.Topics.MaxTopics, _store)),
                "topic-owners");
            durableOwners = new OwnerLink(owners, Metrics, _options.Cluster.Topics.OwnerTimeout, TimeSpan.FromSeconds(1), AcrossNodes: false);
        }

        if (_options.PubSub.RateLimits.UserPublishes.IsSet)
        {
            // Per-user limits: through the cluster's groups of users, or this node's alone.
            _userLimits = _system.ActorOf(UserLimitsGate.Props(cluster is not null ? _userBudgets : null, Metrics), "user-limits");
        }

        _topics = _system.ActorOf(ActorSocket.Actors.Topics.TopicRegistry.Props(_options.Topics, Metrics, cluster, _budget, durableOwners), "topics");

        // The server API's part on this node, on every node of a cluster (another node's API asks it).
        var users = new ActorSocket.Actors.Api.UserDirectory();
        IActorRef apiNode = _system.ActorOf(ActorSocket.Actors.Api.ApiNode.Props(users, _topics, Metrics, Api.ApiEndpoints.Version), ActorSocket.Actors.Api.ApiNode.Name);
        _api = new ActorSocket.Actors.Api.ServerApi(_system, _topics, apiNode, _options.PubSub with { Metrics = Metrics }, cluster is not null, _options.Api.Timeout);
        var api = new Api.ApiEndpoints(_options.Api, () => _api, Metrics);
        bool ownPort = api.Enabled && _options.Api.Port is not null;

        if (cluster is not null)
        {
            // After the process stood still longer than the failure detector tolerates, its view of the
            // cluster is stale until the detector has judged every member again: /healthz says so.
            var settings = Akka.Cluster.Cluster.Get(_system).Settings;
            TimeSpan tolerated = settings.FailureDetectorConfig.GetTimeSpan("acceptable-heartbeat-pause", TimeSpan.FromSeconds(3));
            _pauses = new PauseDetector(tolerated, tolerated + (2 * settings.FailureDetectorConfig.GetTimeSpan("heartbeat-interval", TimeSpan.FromSeconds(1))), PauseDetector.Now);
        }

        var routes = new RouteTable(BuildRoutes().Concat(extraRoutes ?? []));
        var context = new ServerContext(
            _options.Connection,
            routes,
            new HttpEndpoints(Metrics, () => _shuttingDown, cluster is null ? null : () => ClusterMonitor.Describe(Akka.Cluster.Cluster.Get(_system), _pauses), _store is null ? null : () => _store.Reachable, _options.DemoTokens, ownPort ? null : api),
            Metrics,
            ConnectionLogger,
            _options.MaxConnections,
            certificate is null ? socket => new SocketTransport(socket, _options.ReadinessReads) : socket => new TlsTransport(socket, certificate),
            new TrustedProxies(_options.TrustedProxies),
            _topics,
            certificate is not null)
        {
            Users = users,
        };
        _supervisor = _system.ActorOf(ConnectionsSupervisor.Props(context), "connections");

        // Akka's scheduler starts its timer thread on first use and blocks the caller until it runs.
        // Left to the first connections, a storm of them blocked every thread-pool thread in that
        // wait (each connection schedules its handshake deadline) while the timer thread waited for
        // a pool thread: the daemon hung with the clients' bytes unread. Started here, once, before
        // the first accept.
        _system.Scheduler.ScheduleTellOnceCancelable(TimeSpan.FromDays(1), ActorRefs.Nobody, "scheduler started", ActorRefs.NoSender).Cancel();

        IPAddress address = ResolveHost(_options.Host);
        _listener = Listen(address, _options.Port);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _acceptLoop = AcceptLoopAsync(_listener, _supervisor, _stopping.Token);
        _logger.LogInformation("ActorSocket listening on {Url}", Url);
        if (ownPort)
        {
            // The API's own port: its plain routes alone, its own connections supervisor.
            _apiSupervisor = _system.ActorOf(ConnectionsSupervisor.Props(context with { Routes = new RouteTable([]), Http = new Api.ApiPortEndpoints(api) }), "api-connections");
            _apiListener = Listen(ResolveHost(_options.Api.Host ?? _options.Host), _options.Api.Port!.Value);
            ApiEndPoint = (IPEndPoint)_apiListener.LocalEndPoint!;
            _apiAcceptLoop = AcceptLoopAsync(_apiListener, _apiSupervisor, _stopping.Token);
            _logger.LogInformation("Server API on {ApiUrl} with {KeyCount} key(s)", (certificate is null ? "http://" : "https://") + FormatEndPoint(ApiEndPoint) + "/api/", _options.Api.Keys.Count);
        }
        else if (api.Enabled)
        {
            _logger.LogInformation("Server API on /api/ with {KeyCount} key(s)", _options.Api.Keys.Count);
        }
        if (certificate is null)
        {
            LogReadPath();
        }

        LogGen0Budget();
    }

    /// <summary>
    /// The youngest generation's budget decides how long a garbage collection pauses every
    /// connection; it can only be set by the environment (see docs/operations.md).
    /// </summary>
    private void LogGen0Budget()
    {
        string? gen0 = Environment.GetEnvironmentVariable("DOTNET_GCgen0size");
        if (gen0 is null)
        {
            _logger.LogInformation("DOTNET_GCgen0size is not set: the runtime sizes the youngest GC generation from the CPU's cache, which on large servers means long pauses (docs/operations.md, Garbage collection)");
        }
        else
        {
            _logger.LogDebug("Youngest GC generation capped by DOTNET_GCgen0size={Gen0Size}", gen0);
        }
    }

    private void LogReadPath()
    {
        if (!_options.ReadinessReads)
        {
            _logger.LogInformation("Plain connections read with .NET's asynchronous receive (socket-reads = async)");
        }
        else if (SocketTransport.ReadinessUnavailable is { } reason)
        {
            _logger.LogInformation("Plain connections read with .NET's asynchronous receive: no epoll readiness here ({Reason})", reason);
        }

        if (_options.EventLoops > 0)
        {
            _logger.LogInformation("Connections and topics run on {EventLoops} event loop(s)", _options.EventLoops);
        }
        else
        {
            _logger.LogInformation("Connections and topics run on the thread pool (no event loops)");
        }
    }

    /// <summary>
    /// In cluster mode: the bridge the topics use, the membership monitor, and the join. A node
    /// without seed nodes starts a cluster by joining itself; with seed nodes Akka joins them.
    /// </summary>
    private ClusterBridge? StartCluster()
    {
        if (!_options.Cluster.Enabled)
        {
            return null;
        }

        var cluster = Akka.Cluster.Cluster.Get(_system);
        var bridge = new ClusterBridge(_system, _options.Cluster.Topics, Metrics, _owners);

        // Downed by the split-brain resolver (or leaving): before the actor system goes, every
        // client is told to reconnect elsewhere (1012) rather than left connected and silent.
        CoordinatedShutdown.Get(_system).AddTask(CoordinatedShutdown.PhaseBeforeServiceUnbind, "actorsocket-leave-cluster", async () =>
        {
            if (!_shuttingDown && _supervisor is not null
                && CoordinatedShutdown.Get(_system).ShutdownReason is CoordinatedShutdown.ClusterDowningReason or CoordinatedShutdown.ClusterLeavingReason)
            {
                _shuttingDown = true;
                _logger.LogWarning("This node leaves the cluster: closing every connection with 1012 so that clients reconnect to another node");
                try
                {
                    await _supervisor.Ask<ConnectionsSupervisor.Drained>(
                        new ConnectionsSupervisor.Drain(new ConnectionActor.Shutdown(Protocol.CloseCode.ServiceRestart, "node left the cluster; reconnect to another")),
                        TimeSpan.FromSeconds(3)).ConfigureAwait(false);
                }
                catch (AskTimeoutException)
                {
                    _logger.LogWarning("Not every connection closed within 3 s; the rest are dropped");
                }
            }

            return Akka.Done.Instance;
        });
        _system.ActorOf(ClusterMonitor.Props(Metrics), "cluster-monitor");
        if (_options.Cluster.SeedNodes.Count == 0)
        {
            cluster.Join(cluster.SelfAddress);
        }

        _logger.LogInformation(
            "Cluster node {Address} joining {Seeds}",
            cluster.SelfAddress.ToString(),
            _options.Cluster.SeedNodes.Count == 0 ? "itself (a new cluster)" : string.Join(", ", _options.Cluster.SeedNodes));
        return bridge;
    }

    /// <summary>
    /// Graceful shutdown: stop accepting, answer 503 on <c>/healthz</c>, close every connection with
    /// 1001 and wait for the close handshakes up to the drain timeout.
    /// </summary>
    public async Task StopAsync()
    {
        if (_shuttingDown)
        {
            return;
        }

        _shuttingDown = true;
        _logger.LogInformation("Shutting down: closing every connection with 1001 (drain timeout {DrainTimeout})", _options.DrainTimeout);
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener?.Dispose();
        _apiListener?.Dispose();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(false);
        }

        if (_apiAcceptLoop is not null)
        {
            await _apiAcceptLoop.ConfigureAwait(false);
        }

        if (_apiSupervisor is not null)
        {
            await _apiSupervisor.GracefulStop(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }

        if (_supervisor is not null)
        {
            try
            {
                await _supervisor.Ask<ConnectionsSupervisor.Drained>(ConnectionsSupervisor.Drain.Instance, _options.DrainTimeout).ConfigureAwait(false);
                _logger.LogInformation("Every connection closed");
            }
            catch (AskTimeoutException)
            {
                _logger.LogWarning("Drain timeout: dropping the connections that did not close in {DrainTimeout}", _options.DrainTimeout);
            }

            await _supervisor.GracefulStop(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _pauses?.Dispose();
        _stopping.Dispose();
    }

    private Socket Listen(IPAddress address, int port)
    {
        var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (address.Equals(IPAddress.IPv6Any))
        {
            listener.DualMode = true; // "::" serves IPv4 clients too
        }

        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Bind(new IPEndPoint(address, port));
        listener.Listen(_options.Backlog);
        return listener;
    }

    private async Task AcceptLoopAsync(Socket listener, IActorRef supervisor, CancellationToken cancellation)
    {
        while (!cancellation.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException error) when (error.SocketErrorCode is SocketError.TooManyOpenSockets)
            {
                // Out of file descriptors: back off instead of spinning; existing connections go on.
                _logger.LogWarning("Accept failed: {Error}; retrying in 100 ms", error.Message);
                await Task.Delay(100, CancellationToken.None).ConfigureAwait(false);
                continue;
            }
            catch (SocketException error)
            {
                _logger.LogDebug("Accept failed: {Error}", error.Message);
                continue;
            }

            supervisor.Tell(new ConnectionsSupervisor.Accepted(socket));
        }
    }

    private IEnumerable<Route> BuildRoutes()
    {
        var types = new Plugins.HandlerTypeResolver(_options.PluginDirectories);
        foreach (RouteOptions route in _options.Routes)
        {
            var handshake = new HandshakeOptions { SubProtocols = route.SubProtocols, Deflate = _options.Deflate };
            var hooks = new List<IHandshakeHook>();
            if (route.AllowedOrigins.Count > 0 || route.RequireOrigin)
            {
                hooks.Add(new OriginAllowList(route.AllowedOrigins, route.RequireOrigin));
            }

            if (route.AuthType == "bearer")
            {
                hooks.Add(new BearerTokenAuthentication(route.AuthEntries));
            }
            else if (route.AuthType == "basic")
            {
                hooks.Add(new BasicAuthentication(route.AuthEntries));
            }
            else if (route.Jwt && _options.PubSub.Jwt is { } validator)
            {
                hooks.Add(new JwtAuthentication(validator, reason =>
                {
                    Metrics.TokenRefusals.WithLabels("handshake").Inc();
                    _logger.LogInformation("A token at the handshake on {Path} was refused: {Reason}", route.Path, reason);
                }));
            }

            // /pubsub without JWT on the route takes no connect token either.
            PubSubSettings pubsub = _options.PubSub with { Metrics = Metrics, Jwt = route.Jwt ? _options.PubSub.Jwt : null, UserLimits = _userLimits };

            // The built-in handlers never block: they run inline in the connection actor (no handler
            // actor, no copy). Plugin handlers are actors on the isolated handler dispatcher, or on the
            // dispatcher their route names.
            yield return route.Handler switch
            {
                "echo" => Route.ForInline(route.Path, _ => InlineEchoHandler.Instance, handshake, hooks),
                "pubsub" => Route.ForInline(route.Path, info => new InlinePubSubHandler(pubsub, info), handshake, hooks),
                _ => Route.ForActor(route.Path, ActorSocketBuilder.HandlerProps(_system, types.Resolve(route.Path, route.Handler)), handshake, hooks, route.Dispatcher),
            };
        }
    }

    private X509Certificate2? LoadCertificate()
    {
        if (_options.TlsCertificate.Length == 0)
        {
            return null;
        }

        return _options.TlsKey.Length > 0
            ? X509Certificate2.CreateFromPemFile(_options.TlsCertificate, _options.TlsKey)
            : X509CertificateLoader.LoadPkcs12FromFile(_options.TlsCertificate, _options.TlsPassword);
    }

    private static IPAddress ResolveHost(string host)
    {
        if (IPAddress.TryParse(host.Trim('[', ']'), out IPAddress? address))
        {
            return address;
        }

        IPAddress[] addresses = Dns.GetHostAddresses(host);
        return addresses.Length > 0 ? addresses[0] : throw new ArgumentException("Cannot resolve host " + host + ".");
    }

    private static string FormatEndPoint(IPEndPoint endPoint) =>
        endPoint.AddressFamily == AddressFamily.InterNetworkV6 ? "[" + endPoint.Address + "]:" + endPoint.Port : endPoint.Address + ":" + endPoint.Port;
}
