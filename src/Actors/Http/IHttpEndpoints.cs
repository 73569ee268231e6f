using ActorSocket.Protocol.Http;

namespace ActorSocket.Actors.Http;

/// <summary>The plain HTTP routes served on the WebSocket port (<c>/healthz</c>, <c>/metrics</c>, <c>/</c>).</summary>
internal interface IHttpEndpoints
{
    /// <summary>The response for <paramref name="request"/>, or null when no plain route has its path.</summary>
    Task<HttpResponse>? TryHandle(HttpRequest request);
}
