using System.Net;
using ActorSocket.Protocol.Http;

namespace ActorSocket.Actors.Connections;

/// <summary>What a handler knows about its connection: the request that opened it and what was agreed.</summary>
/// <param name="Id">Server-unique connection id.</param>
/// <param name="Request">The handshake request: path, query, headers, cookies.</param>
/// <param name="RemoteEndPoint">The client's address.</param>
/// <param name="SubProtocol">The subprotocol agreed, or null.</param>
/// <param name="IsCompressed">Whether permessage-deflate is in use.</param>
/// <param name="IsSecure">Whether the connection is TLS (wss://).</param>
/// <param name="ConnectedAt">When the handshake completed (UTC).</param>
public sealed record ConnectionInfo(
    long Id,
    HttpRequest Request,
    EndPoint? RemoteEndPoint,
    string? SubProtocol,
    bool IsCompressed,
    bool IsSecure,
    DateTimeOffset ConnectedAt)
{
    /// <summary>The request path.</summary>
    public string Path => Request.Path;
}
