using System.Text.Json;

namespace ActorSocket.Client;

/// <summary>Where a client's connection stands.</summary>
public enum ClientState
{
    /// <summary>Not started, or stopped for good (<see cref="ActorSocketClient.DisposeAsync"/>, or a close that is not worth retrying).</summary>
    Closed,

    /// <summary>Opening a connection (the first one or a reconnect).</summary>
    Connecting,

    /// <summary>Connected: every subscription was made again (after a reconnect) and requests go out.</summary>
    Connected,

    /// <summary>The connection was lost; the next attempt starts after <see cref="ClientStateChange.RetryIn"/>.</summary>
    Disconnected,
}

/// <summary>A change of <see cref="ActorSocketClient.State"/>, with why.</summary>
/// <param name="State">The new state.</param>
/// <param name="CloseCode">For <see cref="ClientState.Disconnected"/> and <see cref="ClientState.Closed"/>: the WebSocket close code the server sent, the HTTP status that refused the handshake, or null (the connection was lost without either).</param>
/// <param name="Reason">Why, in words (the close reason, or the error).</param>
/// <param name="RetryIn">For <see cref="ClientState.Disconnected"/>: how long until the next attempt.</param>
/// <param name="Url">The server URL concerned.</param>
public sealed record ClientStateChange(ClientState State, int? CloseCode, string? Reason, TimeSpan? RetryIn, Uri? Url);

/// <summary>A message of a subscribed topic.</summary>
/// <param name="Topic">The topic (for a wildcard subscription, the topic it was published on).</param>
/// <param name="Offset">Its offset on a topic with history; null otherwise.</param>
/// <param name="Data">The published value.</param>
public sealed record ClientMessage(string Topic, long? Offset, JsonElement Data);

/// <summary>A position in a topic's stream (topics with history): recover from here with <c>since</c>.</summary>
/// <param name="Epoch">The stream's epoch.</param>
/// <param name="Offset">The offset of the last message received.</param>
public readonly record struct StreamPosition(string Epoch, long Offset);

/// <summary>The server's answer to a publish.</summary>
/// <param name="Acknowledged">Always true: the server took the publish (its subscribers have it, or it is in their queues).</param>
public sealed record PublishResult(bool Acknowledged);

/// <summary>An error answer (<c>{"op":"error","code","message"}</c>), a refused connection, or a request that could not complete.</summary>
public sealed class ActorSocketException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="code">The protocol's code (<c>bad_request</c>, <c>forbidden</c>, <c>unauthorized</c>, <c>rate_limited</c>, <c>unavailable</c>, ...) or the client's own (<c>connection_lost</c>, <c>timeout</c>, <c>closed</c>).</param>
    /// <param name="message">Why.</param>
    public ActorSocketException(string code, string message)
        : base(message)
    {
        Code = code;
    }

    /// <summary>Creates the exception with no code (required by the exception pattern).</summary>
    public ActorSocketException()
        : this("error", "ActorSocket error")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ActorSocketException(string message)
        : this("error", message)
    {
    }

    /// <summary>Creates the exception wrapping another.</summary>
    public ActorSocketException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = "error";
    }

    /// <summary>The code: the server's error code, or <c>connection_lost</c> (the connection dropped before the answer: the request may or may not have taken effect), <c>timeout</c>, <c>closed</c>.</summary>
    public string Code { get; }
}
