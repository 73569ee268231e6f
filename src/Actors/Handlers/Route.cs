using ActorSocket.Protocol.Http;
using Akka.Actor;

namespace ActorSocket.Actors.Handlers;

/// <summary>
/// A WebSocket route: a path, the kind of handler that serves each connection on it, and how the
/// handshake is answered. Make one with <see cref="ForActor"/>, <see cref="ForInline"/> or
/// <see cref="ForFlow"/>.
/// </summary>
/// <param name="Path">The exact request path, such as <c>/echo</c>.</param>
/// <param name="Handler">What serves each connection: one of the kinds of <see cref="RouteHandler"/>.</param>
/// <param name="Handshake">Subprotocols, compression and extra headers for the handshake.</param>
/// <param name="Hooks">Handshake hooks run in order before the connection is accepted; the first refusal wins.</param>
/// <param name="Dispatcher">
/// The dispatcher the route's handler actors run on (a HOCON path); null for the server's handler
/// dispatcher. A route whose handlers block gets a dispatcher of its own, so that they stall
/// nothing but themselves. Inline handlers run on the connection's own thread and ignore it.
/// </param>
public sealed record Route(string Path, RouteHandler Handler, HandshakeOptions Handshake, IReadOnlyList<IHandshakeHook>? Hooks = null, string? Dispatcher = null)
{
    /// <summary>A route served by one handler actor per connection (see <see cref="Handlers.Handler"/>).</summary>
    /// <param name="path">The exact request path.</param>
    /// <param name="props">Creates the handler actor for one connection.</param>
    /// <param name="handshake">Subprotocols and extra headers; the defaults when null.</param>
    /// <param name="hooks">Handshake hooks, run in order.</param>
    /// <param name="dispatcher">The dispatcher of the handler actors; the server's handler dispatcher when null.</param>
    public static Route ForActor(string path, Func<ConnectionInfo, Props> props, HandshakeOptions? handshake = null, IReadOnlyList<IHandshakeHook>? hooks = null, string? dispatcher = null) =>
        new(path, new RouteHandler.Actor(props), handshake ?? HandshakeOptions.Default, hooks, dispatcher);

    /// <summary>A route served by an <see cref="InlineHandler"/> inside each connection actor (no handler actor per connection).</summary>
    /// <param name="path">The exact request path.</param>
    /// <param name="handler">Creates (or shares) the inline handler for one connection.</param>
    /// <param name="handshake">Subprotocols and extra headers; the defaults when null.</param>
    /// <param name="hooks">Handshake hooks, run in order.</param>
    public static Route ForInline(string path, Func<ConnectionInfo, InlineHandler> handler, HandshakeOptions? handshake = null, IReadOnlyList<IHandshakeHook>? hooks = null) =>
        new(path, new RouteHandler.Inline(handler), handshake ?? HandshakeOptions.Default, hooks);

    /// <summary>A route served by an Akka.Streams flow per connection, with backpressure both ways.</summary>
    /// <param name="path">The exact request path.</param>
    /// <param name="flow">Creates the flow for one connection: client messages in, messages to the client out.</param>
    /// <param name="handshake">Subprotocols and extra headers; the defaults when null.</param>
    /// <param name="hooks">Handshake hooks, run in order.</param>
    public static Route ForFlow(string path, Func<ConnectionInfo, Akka.Streams.Dsl.Flow<WsMessage, WsMessage, Akka.NotUsed>> flow, HandshakeOptions? handshake = null, IReadOnlyList<IHandshakeHook>? hooks = null) =>
        new(path, new RouteHandler.Flow(flow), handshake ?? HandshakeOptions.Default, hooks);
}

/// <summary>
/// The kinds of handler a route can have; a closed set: <see cref="Actor"/>, <see cref="Inline"/>
/// and <see cref="Flow"/>.
/// </summary>
public abstract record RouteHandler
{
    private RouteHandler()
    {
    }

    /// <summary>
    /// One handler actor per connection. It hears <see cref="Handler.Connected"/>, the client's
    /// messages, then <see cref="Handler.Disconnected"/>; it may block, on its own dispatcher.
    /// </summary>
    /// <param name="Props">Creates the handler actor for one connection.</param>
    public sealed record Actor(Func<ConnectionInfo, Props> Props) : RouteHandler;

    /// <summary>An <see cref="InlineHandler"/> called on the connection actor's own thread; it must never block.</summary>
    /// <param name="Create">Creates (or shares) the handler for one connection.</param>
    public sealed record Inline(Func<ConnectionInfo, InlineHandler> Create) : RouteHandler;

    /// <summary>An Akka.Streams flow per connection: client messages in, messages to the client out, backpressured both ways.</summary>
    /// <param name="Create">Creates the flow for one connection.</param>
    public sealed record Flow(Func<ConnectionInfo, Akka.Streams.Dsl.Flow<WsMessage, WsMessage, Akka.NotUsed>> Create) : RouteHandler;
}

/// <summary>Routes by exact path.</summary>
internal sealed class RouteTable
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
