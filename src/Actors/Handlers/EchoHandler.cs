using Akka.Actor;

namespace ActorSocket.Actors.Handlers;

/// <summary>The <c>/echo</c> handler: every message comes back unchanged, with the same type.</summary>
internal sealed class EchoHandler : UntypedActor
{
    private IActorRef _connection = ActorRefs.Nobody;

    /// <summary>Props for one connection's echo handler.</summary>
    public static Props Props() => Akka.Actor.Props.Create<EchoHandler>();

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Handler.Connected connected:
                _connection = connected.Connection;
                break;
            case Handler.TextMessage text:
                _connection.Tell(new Connection.SendText(text.Utf8));
                break;
            case Handler.BinaryMessage binary:
                _connection.Tell(new Connection.SendBinary(binary.Data));
                break;
            case Handler.Disconnected:
                Context.Stop(Self);
                break;
            default:
                Unhandled(message);
                break;
        }
    }
}
