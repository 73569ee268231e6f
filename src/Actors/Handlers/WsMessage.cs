namespace ActorSocket.Actors.Handlers;

/// <summary>A whole WebSocket message, as a stream handler sees it (the Akka HTTP convention).</summary>
public abstract record WsMessage
{
    private WsMessage()
    {
    }

    /// <summary>A text message.</summary>
    /// <param name="Value">The text.</param>
    public sealed record Text(string Value) : WsMessage;

    /// <summary>A binary message.</summary>
    /// <param name="Data">The bytes; not modified after being sent.</param>
    public sealed record Binary(ReadOnlyMemory<byte> Data) : WsMessage;
}
