namespace ActorSocket.Protocol.Framing;

/// <summary>Frame opcodes of RFC 6455 section 5.2.</summary>
public enum Opcode : byte
{
    /// <summary>Continues a fragmented message.</summary>
    Continuation = 0x0,

    /// <summary>First frame of a UTF-8 text message.</summary>
    Text = 0x1,

    /// <summary>First frame of a binary message.</summary>
    Binary = 0x2,

    /// <summary>Close control frame.</summary>
    Close = 0x8,

    /// <summary>Ping control frame.</summary>
    Ping = 0x9,

    /// <summary>Pong control frame.</summary>
    Pong = 0xA,
}
