using ActorSocket.Actors.Handlers;
using ActorSocket.Gateway.Configuration;
using ActorSocket.Gateway.Logging;
using Akka.Configuration;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serilog;

namespace ActorSocket.Gateway;

/// <summary>Builds the daemon's generic host: Serilog, the actor system from HOCON, and the gateway.</summary>
public static class GatewayHost
{
    /// <summary>Creates the host for a loaded configuration.</summary>
    /// <param name="config">The whole HOCON tree (defaults, file and flags folded).</param>
    /// <param name="configureLogging">Extra Serilog configuration (tests add an in-memory sink).</param>
    /// <param name="extraRoutes">Routes registered in code beside those in HOCON.</param>
    public static IHost Build(Config config, Action<LoggerConfiguration>? configureLogging = null, IEnumerable<Route>? extraRoutes = null)
    {
        GatewayOptions options = GatewayOptions.From(config);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = options.DrainTimeout + TimeSpan.FromSeconds(15));
        builder.Services.AddSerilog(SerilogSetup.CreateLogger(options, configureLogging), dispose: true);
        builder.Services.AddSingleton(options);
        foreach (Route route in extraRoutes ?? [])
        {
            builder.Services.AddSingleton(route);
        }

        builder.Services.AddAkka("actorsocket", (akka, services) =>
        {
            akka.AddHocon(config, HoconAddMode.Prepend);
            akka.ConfigureLoggers(loggers =>
            {
                loggers.LogLevel = SerilogSetup.AkkaLevel(options.LogLevel);
                loggers.ClearLoggers();
                // Akka.Hosting's logger-factory bridge, with Akka's positional templates repaired.
                loggers.AddLoggerFactory(new PositionalTemplateLoggerFactory(services.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>()));
            });
        });
        builder.Services.AddSingleton<GatewayService>();
        builder.Services.AddHostedService(services => services.GetRequiredService<GatewayService>());
        return builder.Build();
    }

    /// <summary>The running server of a started host.</summary>
    public static ActorSocketServer Server(this IHost host) =>
        host.Services.GetRequiredService<GatewayService>().Server ?? throw new InvalidOperationException("The host is not started.");
}
