namespace ActorSocket.Protocol.PubSub;

/// <summary>Why a <c>/pubsub</c> request was refused: the fields of the <c>error</c> reply.</summary>
/// <param name="Code"><c>bad_request</c>, <c>forbidden</c>, <c>unauthorized</c>, <c>too_large</c> or <c>unavailable</c>.</param>
/// <param name="Message">A short human-readable explanation.</param>
/// <param name="Id">The request's raw <c>id</c> JSON when it could be read; empty otherwise.</param>
public readonly record struct PubSubError(string Code, string Message, ReadOnlyMemory<byte> Id)
{
    /// <summary>The request is not JSON, not an object, has an unknown op, or a missing or invalid field.</summary>
    public const string BadRequest = "bad_request";

    /// <summary>A plugin or policy refused the request.</summary>
    public const string Forbidden = "forbidden";

    /// <summary>The request exceeds a configured size limit.</summary>
    public const string TooLarge = "too_large";

    /// <summary>The namespace's rule needs an identity and the connection has none.</summary>
    public const string Unauthorized = "unauthorized";

    /// <summary>The connection or its user sent more than its rate limit allows; the error names <c>retry_after_ms</c>.</summary>
    public const string RateLimited = "rate_limited";

    /// <summary>The server cannot take the request now (a server-wide limit is reached); retry later.</summary>
    public const string Unavailable = "unavailable";
}
