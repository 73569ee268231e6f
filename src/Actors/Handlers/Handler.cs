using System.Text;
using ActorSocket.Protocol;
using Akka.Actor;

namespace ActorSocket.Actors.Handlers;

/// <summary>
/// The messages a handler actor receives from its connection, in this order: one
/// <see cref="Connected"/>, any number of <see cref="TextMessage"/> and <see cref="BinaryMessage"/>,
/// then one <see cref="Disconnected"/>, after which the handler is stopped.
/// </summary>
/// <remarks>
/// A handler answers through <see cref="Connected.Connection"/> with the commands of
/// <see cref="Connection"/>. Payload arrays are the handler's own: the connection never touches them again.
/// </remarks>
public static class Handler
{
    /// <summary>The handshake completed.</summary>
    /// <param name="Info">Path, query, headers, cookies, remote address, subprotocol.</param>
    /// <param name="Connection">Where to send <see cref="Connection"/> commands; also the subscriber to
    /// name in a <c>Topic.Subscribe</c>, so that topic messages go straight to the client.</param>
    /// <param name="Topics">The topic backend (the <c>Topic</c> protocol), or null where the server has none.</param>
    public sealed record Connected(ConnectionInfo Info, IActorRef Connection, IActorRef? Topics = null);

    /// <summary>A complete text message (valid UTF-8).</summary>
    /// <param name="Utf8">The message bytes.</param>
    public sealed record TextMessage(byte[] Utf8)
    {
        /// <summary>The message decoded to a string.</summary>
        public string Text => Encoding.UTF8.GetString(Utf8);
    }

    /// <summary>A complete binary message.</summary>
    /// <param name="Data">The message bytes.</param>
    public sealed record BinaryMessage(byte[] Data);

    /// <summary>The connection ended; nothing more will arrive and nothing more can be sent.</summary>
    /// <param name="Code">The close code (1006 when the peer vanished).</param>
    /// <param name="Reason">The close reason or what went wrong.</param>
    public sealed record Disconnected(CloseCode Code, string Reason);
}
