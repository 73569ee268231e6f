using ActorSocket.Actors.Cluster;
using ActorSocket.Actors.Handlers;
using ActorSocket.Actors.Identity;
using ActorSocket.Actors.Metrics;
using ActorSocket.Actors.Topics;
using ActorSocket.Gateway.Configuration;
using ActorSocket.Gateway.Logging;
using Akka.Cluster.Hosting;
using Akka.Configuration;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serilog;
using ClusterOptions = ActorSocket.Gateway.Configuration.ClusterOptions;

namespace ActorSocket.Gateway;

/// <summary>Builds the daemon's generic host: Serilog, the actor system from HOCON, and the gateway.</summary>
public static class GatewayHost
{
    /// <summary>Creates the daemon's host for a loaded configuration.</summary>
    /// <param name="config">The whole HOCON tree (defaults, file and flags folded).</param>
    /// <param name="configureLogging">Extra Serilog configuration (tests add an in-memory sink).</param>
    /// <param name="extraRoutes">Routes registered in code beside those in HOCON.</param>
    public static IHost Build(Config config, Action<LoggerConfiguration>? configureLogging = null, IEnumerable<Route>? extraRoutes = null)
    {
        GatewayOptions options = GatewayOptions.From(config);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = options.DrainTimeout + TimeSpan.FromSeconds(15));
        // Under systemd (Type=notify): readiness once listening, stop on SIGTERM; elsewhere a no-op.
        builder.Services.AddSystemd();
        builder.Services.AddSerilog(SerilogSetup.CreateLogger(options, configureLogging), dispose: true);
        builder.Services.AddActorSocket(config, routes =>
        {
            foreach (Route route in extraRoutes ?? [])
            {
                routes.Map(route);
            }
        });
        return builder.Build();
    }

    /// <summary>
    /// Adds ActorSocket to an application's own generic host: the actor system (through Akka.Hosting,
    /// its logs through the host's logger factory), and the server, which starts with the host and
    /// drains on shutdown. Routes come from <paramref name="config"/> and from <paramref name="configure"/>.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="config">The HOCON tree, usually <see cref="GatewayConfig.Load"/>'s.</param>
    /// <param name="configure">Routes registered in code.</param>
    public static IServiceCollection AddActorSocket(this IServiceCollection services, Config config, Action<ActorSocketBuilder>? configure = null)
    {
        GatewayOptions options = GatewayOptions.From(config);
        var routes = new ActorSocketBuilder();
        configure?.Invoke(routes);
        services.AddSingleton(options);
        services.AddSingleton(routes);
        var metrics = new ServerMetrics();
        var budget = new HistoryBudget(options.Topics.HistoryMaxBytes, metrics);
        services.AddSingleton(metrics);
        services.AddSingleton(budget);
        HistoryStore? store = options.HistoryStore.Needed
            ? new HistoryStore(metrics, options.HistoryStore.Retry, options.HistoryStore.Timeout, HistoryStoreOptions.JournalPluginId, HistoryStoreOptions.SnapshotPluginId)
            : null;
        services.AddSingleton(new DurableTopics(store));
        services.AddAkka(ClusterOptions.SystemName, (akka, provider) =>
        {
            if (options.Cluster.Enabled)
            {
                // One owner per topic with history, placed by Akka.Cluster.Sharding. Owners passivate
                // themselves (never while they hold history); shards move only when their node goes.
                akka.WithShardRegion<TopicOwnerRegion>(
                    TopicOwnerRegion.TypeName,
                    TopicOwner.PropsFactory(options.Topics.Namespaces, budget, metrics, options.Topics.IdleTimeout, options.Topics.MaxTopics, store),
                    new OwnerMessageExtractor(),
                    new ShardOptions
                    {
                        RememberEntities = false,
                        ShouldPassivateIdleEntities = false,
                        HandOffStopMessage = OwnerStop.Instance,
                    });
                if (options.PubSub.RateLimits.UserPublishes.IsSet)
                {
                    // Per-user limits: each group of users' buckets in one entity of the cluster.
                    akka.WithShardRegion<UserBudgetsRegion>(
                        UserBudgetsRegion.TypeName,
                        _ => UserBudgets.Props(metrics: metrics),
                        new UserTakeExtractor(),
                        new ShardOptions { RememberEntities = false });
                }
            }

            // Explicit akka.* keys win over what actorsocket.cluster stands for.
            akka.AddHocon(config.WithFallback(options.Cluster.ToAkkaConfig()).WithFallback(options.HistoryStore.ToAkkaConfig()).WithFallback(options.EventLoopConfig()), HoconAddMode.Prepend);
            akka.ConfigureLoggers(loggers =>
            {
                loggers.LogLevel = SerilogSetup.AkkaLevel(options.LogLevel);
                loggers.ClearLoggers();
                // Akka.Hosting's logger-factory bridge, with Akka's positional templates repaired.
                loggers.AddLoggerFactory(new PositionalTemplateLoggerFactory(provider.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>()));
            });
        });
        services.AddSingleton<GatewayService>();
        services.AddHostedService(provider => provider.GetRequiredService<GatewayService>());
        return services;
    }

    /// <summary>The running server of a started host.</summary>
    public static ActorSocketServer Server(this IHost host) =>
        host.Services.GetRequiredService<GatewayService>().Server ?? throw new InvalidOperationException("The host is not started.");
}

/// <summary>The store of this node's durable topics, if any namespace is durable (a dependency-injection holder: the store may be null).</summary>
/// <param name="Store">The store, or null.</param>
internal sealed record DurableTopics(HistoryStore? Store);
