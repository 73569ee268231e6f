using System.Net.Sockets;
using ActorSocket.Actors.Handlers;
using ActorSocket.Actors.Http;
using ActorSocket.Actors.Metrics;
using ActorSocket.Actors.Transport;
using Microsoft.Extensions.Logging;

namespace ActorSocket.Actors.Connections;

/// <summary>Everything the connection actors of one server share.</summary>
/// <param name="Settings">Per-connection limits and timers.</param>
/// <param name="Routes">WebSocket routes.</param>
/// <param name="Http">Plain HTTP routes.</param>
/// <param name="Metrics">Prometheus metrics.</param>
/// <param name="Logger">Where connection events are logged.</param>
/// <param name="MaxConnections">Connections served at once; over it a client gets 503.</param>
/// <param name="TransportFactory">Wraps an accepted socket (plain or TLS).</param>
/// <param name="Proxies">Peers trusted to name the client in <c>X-Forwarded-For</c>; none when null.</param>
/// <param name="Topics">The topic backend handed to handlers, or null.</param>
/// <param name="Secure">Whether connections are TLS (a connection refused at accept then gets no plain-text answer).</param>
internal sealed record ServerContext(
    ConnectionSettings Settings,
    RouteTable Routes,
    IHttpEndpoints Http,
    ServerMetrics Metrics,
    ILogger Logger,
    int MaxConnections,
    Func<Socket, ITransport> TransportFactory,
    TrustedProxies? Proxies = null,
    Akka.Actor.IActorRef? Topics = null,
    bool Secure = false)
{
    private AddressLimits? _addressLimits;

    /// <summary>The connections of each user on this node, for the server API; null: not tracked.</summary>
    internal Api.UserDirectory? Users { get; init; }

    /// <summary>The clock of the server-wide accept rate, in milliseconds.</summary>
    internal Func<long> Clock { get; init; } = static () => Environment.TickCount64;

    /// <summary>The per-address limits of this server (<see cref="ConnectionSettings.MaxConnectionsPerAddress"/> and its siblings), shared by the acceptor and the connections.</summary>
    internal AddressLimits AddressLimits => LazyInitializer.EnsureInitialized(ref _addressLimits, () => new AddressLimits(
        Settings.MaxConnectionsPerAddress,
        Settings.ConnectionsPerSecondPerAddress,
        Settings.ConnectionBurstPerAddress,
        new NetworkList(Settings.PerAddressExempt)));
}
