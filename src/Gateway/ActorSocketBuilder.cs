using ActorSocket.Actors.Handlers;
using ActorSocket.Protocol.Http;
using Akka.Actor;
using Akka.DependencyInjection;

namespace ActorSocket.Gateway;

/// <summary>Routes registered in code, for an application that hosts ActorSocket in its own generic host.</summary>
public sealed class ActorSocketBuilder
{
    internal List<Func<ActorSystem, Route>> Routes { get; } = [];

    /// <summary>Adds a route as it is.</summary>
    public ActorSocketBuilder Map(Route route)
    {
        Routes.Add(_ => route);
        return this;
    }

    /// <summary>
    /// Adds a route whose handler <typeparamref name="THandler"/> is created through dependency
    /// injection: its constructor may take any registered service, and its <see cref="ConnectionInfo"/>.
    /// </summary>
    /// <param name="path">The request path.</param>
    /// <param name="handshake">Subprotocols and compression; the defaults when null.</param>
    /// <param name="hooks">Handshake hooks, run in order.</param>
    public ActorSocketBuilder MapHandler<THandler>(string path, HandshakeOptions? handshake = null, params IHandshakeHook[] hooks)
        where THandler : ActorBase
    {
        Routes.Add(system => Route.ForActor(path, HandlerProps(system, typeof(THandler)), handshake, hooks));
        return this;
    }

    /// <summary>
    /// Adds a route served by an Akka.Streams flow per connection (the Akka HTTP convention), with
    /// backpressure from the socket in both directions.
    /// </summary>
    /// <param name="path">The request path.</param>
    /// <param name="flow">Creates the flow for one connection.</param>
    /// <param name="handshake">Subprotocols and compression; the defaults when null.</param>
    public ActorSocketBuilder MapFlow(string path, Func<ConnectionInfo, Akka.Streams.Dsl.Flow<WsMessage, WsMessage, Akka.NotUsed>> flow, HandshakeOptions? handshake = null)
    {
        Routes.Add(_ => Route.ForFlow(path, flow, handshake));
        return this;
    }

    /// <summary>Props through dependency injection for a handler type, passing the connection's info when its constructor asks for it.</summary>
    internal static Func<ConnectionInfo, Props> HandlerProps(ActorSystem system, Type type)
    {
        DependencyResolver resolver = DependencyResolver.For(system);
        bool wantsInfo = type.GetConstructors().Any(c => c.GetParameters().Any(p => p.ParameterType == typeof(ConnectionInfo)));
        return info => wantsInfo ? resolver.Props(type, info) : resolver.Props(type);
    }
}
