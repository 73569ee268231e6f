namespace ActorSocket.Protocol.Http;

/// <summary>Outcome of <c>HttpRequestParser.TryParse</c>.</summary>
public enum HttpParseStatus
{
    /// <summary>The head is not complete yet; nothing was consumed.</summary>
    Incomplete,

    /// <summary>A request head was parsed.</summary>
    Complete,

    /// <summary>The input is not an acceptable request; the error response says why.</summary>
    Invalid,
}
