using ActorSocket.Actors.Cluster;
using ActorSocket.Actors.Metrics;
using ActorSocket.Actors.Topics;
using ActorSocket.Gateway.Configuration;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActorSocket.Gateway;

/// <summary>Runs the <see cref="ActorSocketServer"/> inside the generic host, after the actor system starts and before it stops.</summary>
internal sealed class GatewayService : IHostedService
{
    private readonly GatewayOptions _options;
    private readonly IServiceProvider _services;
    private readonly ActorSocketBuilder _routes;
    private HistoryStoreJanitor? _janitor;

    /// <summary>Created by the host.</summary>
    public GatewayService(GatewayOptions options, IServiceProvider services, ActorSocketBuilder routes)
    {
        _options = options;
        _services = services;
        _routes = routes;
    }

    /// <summary>The running server (after start).</summary>
    public ActorSocketServer? Server { get; private set; }

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var system = _services.GetRequiredService<ActorSystem>();
        IActorRef? owners = _options.Cluster.Enabled ? await ActorRegistry.For(system).GetAsync<TopicOwnerRegion>(cancellationToken) : null;
        IActorRef? userBudgets = _options.Cluster.Enabled && _options.PubSub.RateLimits.UserPublishes.IsSet
            ? await ActorRegistry.For(system).GetAsync<ActorSocket.Actors.Identity.UserBudgetsRegion>(cancellationToken)
            : null;
        HistoryStore? store = _services.GetRequiredService<DurableTopics>().Store;
        if (store is not null)
        {
            ILogger history = _services.GetRequiredService<ILoggerFactory>().CreateLogger("ActorSocket.History");
            HistoryStorePreparation.Prepare(_options.HistoryStore, history);
            _janitor = new HistoryStoreJanitor(_options.HistoryStore, history);
        }

        Server = new ActorSocketServer(_options, system, _services.GetRequiredService<ILoggerFactory>(), _services.GetRequiredService<ServerMetrics>(), _services.GetRequiredService<HistoryBudget>(), owners, store, userBudgets);
        Server.Start(_routes.Routes.Select(route => route(system)).ToList());
        ActorSocketServer server = Server;
        _ = system.WhenTerminated.ContinueWith(
            _ =>
            {
                if (!server.IsShuttingDown)
                {
                    // Downed by the split-brain resolver, or removed from the cluster: without an actor
                    // system nothing is served. Exit non-zero so that systemd or Kubernetes restart us.
                    _services.GetRequiredService<ILoggerFactory>().CreateLogger("ActorSocket.Gateway")
                        .LogError("The actor system terminated (this node was downed or removed from its cluster); stopping");
                    Environment.ExitCode = 1;
                    _services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_janitor is not null)
        {
            await _janitor.DisposeAsync();
        }

        await (Server?.StopAsync() ?? Task.CompletedTask);
    }
}
