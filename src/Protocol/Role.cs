namespace ActorSocket.Protocol;

/// <summary>Which end of the connection a codec plays; it decides who masks frames.</summary>
public enum Role
{
    /// <summary>Sends unmasked frames and requires every received frame to be masked.</summary>
    Server,

    /// <summary>Sends masked frames and requires every received frame to be unmasked.</summary>
    Client,
}
