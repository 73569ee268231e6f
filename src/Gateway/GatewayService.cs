using ActorSocket.Gateway.Configuration;
using Akka.Actor;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActorSocket.Gateway;

/// <summary>Runs the <see cref="ActorSocketServer"/> inside the generic host, after the actor system starts and before it stops.</summary>
public sealed class GatewayService : IHostedService
{
    private readonly GatewayOptions _options;
    private readonly IServiceProvider _services;
    private readonly ActorSocketBuilder _routes;

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
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var system = _services.GetRequiredService<ActorSystem>();
        Server = new ActorSocketServer(_options, system, _services.GetRequiredService<ILoggerFactory>());
        Server.Start(_routes.Routes.Select(route => route(system)).ToList());
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Server?.StopAsync() ?? Task.CompletedTask;
}
