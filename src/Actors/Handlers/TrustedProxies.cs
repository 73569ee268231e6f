using System.Net;
using ActorSocket.Protocol.Http;

namespace ActorSocket.Actors.Handlers;

/// <summary>
/// Which peers may speak for a client through <c>X-Forwarded-For</c>. From any other peer the header
/// is ignored: a client could otherwise claim any address.
/// </summary>
internal sealed class TrustedProxies
{
    private readonly Connections.NetworkList _networks;

    /// <summary>Creates the list from addresses and CIDR ranges (<c>10.0.0.0/8</c>, <c>::1</c>).</summary>
    public TrustedProxies(IEnumerable<string> entries) => _networks = new Connections.NetworkList(entries);

    /// <summary>No proxy is trusted.</summary>
    public static TrustedProxies None { get; } = new([]);

    /// <summary>
    /// The client's address: the peer, or, when the peer is trusted, the right-most address of
    /// <c>X-Forwarded-For</c> that is not itself a trusted proxy.
    /// </summary>
    public IPEndPoint? ClientOf(IPEndPoint? peer, HttpRequest request)
    {
        if (peer is null || _networks.IsEmpty || !IsTrusted(peer.Address))
        {
            return peer;
        }

        var hops = request.GetHeaderValues("X-Forwarded-For").SelectMany(value => value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToList();
        for (int i = hops.Count - 1; i >= 0; i--)
        {
            if (!IPAddress.TryParse(hops[i], out IPAddress? address))
            {
                return peer; // a malformed hop: trust nothing beyond the peer
            }

            if (!IsTrusted(address))
            {
                return new IPEndPoint(address, 0);
            }
        }

        return peer;
    }

    /// <summary>Whether <paramref name="address"/> is one of the trusted proxies.</summary>
    internal bool IsTrusted(IPAddress address) => _networks.Contains(address);
}
