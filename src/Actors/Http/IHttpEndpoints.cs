using ActorSocket.Protocol.Http;

namespace ActorSocket.Actors.Http;

/// <summary>The plain HTTP routes served on the WebSocket port (<c>/healthz</c>, <c>/metrics</c>, <c>/</c>).</summary>
internal interface IHttpEndpoints
{
    /// <summary>The response for <paramref name="request"/>, or null when no plain route has its path.</summary>
    Task<HttpResponse>? TryHandle(HttpRequest request);

    /// <summary>
    /// Why this node takes no new WebSocket clients now (in a cluster: not joined, or cut off from
    /// the majority), answered with 503; null when it takes them.
    /// </summary>
    string? UpgradeRefusal() => null;

    /// <summary>
    /// The largest body <paramref name="request"/>'s route takes, in bytes; 0 (the default) when it
    /// takes none. A body is read (bounded by this, and by the handshake timeout) before
    /// <see cref="TryHandle"/> is called; a route that takes none is answered without reading it.
    /// </summary>
    int BodyLimit(HttpRequest request) => 0;
}
