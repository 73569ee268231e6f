using System.Net;
using System.Net.Sockets;

namespace ActorSocket.Actors.Connections;

/// <summary>A list of addresses and CIDR ranges (<c>10.0.0.0/8</c>, <c>::1</c>) that an address may fall in.</summary>
internal sealed class NetworkList
{
    private readonly IReadOnlyList<IPNetwork> _networks;

    /// <summary>Parses each entry as a CIDR range or a single address.</summary>
    public NetworkList(IEnumerable<string> entries) =>
        _networks = entries.Select(entry => entry.Contains('/')
            ? IPNetwork.Parse(entry)
            : new IPNetwork(IPAddress.Parse(entry), IPAddress.Parse(entry).AddressFamily == AddressFamily.InterNetwork ? 32 : 128)).ToList();

    /// <summary>Whether the list is empty.</summary>
    public bool IsEmpty => _networks.Count == 0;

    /// <summary>Whether <paramref name="address"/> (an IPv4-mapped IPv6 address as its IPv4 form) is in one of the networks.</summary>
    public bool Contains(IPAddress address)
    {
        IPAddress normalized = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        foreach (IPNetwork network in _networks)
        {
            if (network.Contains(normalized))
            {
                return true;
            }
        }

        return false;
    }
}
