using System.Net;
using ActorSocket.Protocol.Http;

namespace ActorSocket.Actors.Handlers;

/// <summary>What a handler knows about its connection: the request that opened it and what was agreed.</summary>
/// <param name="Id">Server-unique connection id.</param>
/// <param name="Request">The handshake request: path, query, headers, cookies.</param>
/// <param name="RemoteEndPoint">The client's address: the socket peer, or the client a trusted proxy named in <c>X-Forwarded-For</c>.</param>
/// <param name="SubProtocol">The subprotocol agreed, or null.</param>
/// <param name="IsCompressed">Whether permessage-deflate is in use.</param>
/// <param name="IsSecure">Whether the connection is TLS (wss://).</param>
/// <param name="ConnectedAt">When the handshake completed (UTC).</param>
/// <param name="Identity">What the handshake hooks attached (a user name, claims), or null.</param>
/// <param name="PeerEndPoint">The socket's peer (a proxy, when there is one).</param>
public sealed record ConnectionInfo(
    long Id,
    HttpRequest Request,
    EndPoint? RemoteEndPoint,
    string? SubProtocol,
    bool IsCompressed,
    bool IsSecure,
    DateTimeOffset ConnectedAt,
    object? Identity = null,
    EndPoint? PeerEndPoint = null)
{
    /// <summary>The request path.</summary>
    public string Path => Request.Path;
}
