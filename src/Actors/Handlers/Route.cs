using ActorSocket.Actors.Connections;
using ActorSocket.Protocol.Http;
using Akka.Actor;

namespace ActorSocket.Actors.Handlers;

/// <summary>A WebSocket route: a path and the handler that serves each connection on it.</summary>
/// <param name="Path">The exact request path, such as <c>/echo</c>.</param>
/// <param name="HandlerProps">Creates the handler actor for one connection.</param>
/// <param name="Handshake">Subprotocols, compression and extra headers for the handshake.</param>
/// <param name="Dispatcher">
/// The dispatcher the route's handlers run on (a HOCON path); null for the server's handler
/// dispatcher. A route whose handlers block gets a dispatcher of its own, so that they stall
/// nothing but themselves.
/// </param>
/// <param name="Hooks">Handshake hooks run in order before the connection is accepted; the first refusal wins.</param>
/// <param name="InboundWindow">
/// When set, messages the handler has not acknowledged (<see cref="Connection.Ack"/>) beyond this many
/// pause the socket's reads: inbound backpressure, as a stream handler needs. Null: no acks expected.
/// </param>
public sealed record Route(string Path, Func<ConnectionInfo, Props> HandlerProps, HandshakeOptions Handshake, string? Dispatcher = null, IReadOnlyList<IHandshakeHook>? Hooks = null, int? InboundWindow = null)
{
    /// <summary>
    /// When set, each connection is served by this inline handler inside its connection actor
    /// instead of a handler actor from <see cref="HandlerProps"/>.
    /// </summary>
    public Func<ConnectionInfo, InlineHandler>? Inline { get; init; }

    /// <summary>A route served by an <see cref="InlineHandler"/> (no handler actor per connection).</summary>
    public static Route ForInline(string path, Func<ConnectionInfo, InlineHandler> handler, HandshakeOptions? handshake = null, IReadOnlyList<IHandshakeHook>? hooks = null) =>
        new(path, _ => throw new InvalidOperationException("Route " + path + " is served inline."), handshake ?? HandshakeOptions.Default, null, hooks)
        {
            Inline = handler,
        };

    /// <summary>A route served by an Akka.Streams flow per connection, with backpressure both ways.</summary>
    public static Route ForFlow(string path, Func<ConnectionInfo, Akka.Streams.Dsl.Flow<WsMessage, WsMessage, Akka.NotUsed>> flow, HandshakeOptions? handshake = null, IReadOnlyList<IHandshakeHook>? hooks = null) =>
        new(path, _ => FlowHandler.Props(flow), handshake ?? HandshakeOptions.Default, null, hooks, FlowHandler.InboundWindow);
}

/// <summary>Routes by exact path.</summary>
public sealed class RouteTable
{
    private readonly Dictionary<string, Route> _routes;

    /// <summary>Creates a table; a path may appear once.</summary>
    public RouteTable(IEnumerable<Route> routes)
    {
        _routes = new Dictionary<string, Route>(StringComparer.Ordinal);
        foreach (Route route in routes)
        {
            if (!_routes.TryAdd(route.Path, route))
            {
                throw new ArgumentException("Route " + route.Path + " is defined twice.", nameof(routes));
            }
        }
    }

    /// <summary>Every route.</summary>
    public IEnumerable<Route> Routes => _routes.Values;

    /// <summary>The route for <paramref name="path"/>, or null.</summary>
    public Route? Find(string path) => _routes.GetValueOrDefault(path);
}
