using System.Diagnostics;
using System.Net;
using ActorSocket.Actors.Connections;

namespace ActorSocket.Actors.Tests.Connections;

public class AddressLimitsTests
{
    private long _now = 1_000_000;

    private AddressLimits Limits(int connections, double rate, double burst, params string[] exempt) =>
        new(connections, rate, burst, new NetworkList(exempt), () => _now);

    private void Advance(double seconds) => _now += (long)(seconds * Stopwatch.Frequency);

    [Fact]
    public void Concurrent_connections_from_one_address_are_capped_and_freed_when_they_end()
    {
        AddressLimits limits = Limits(2, 0, 1);
        IPAddress client = IPAddress.Parse("203.0.113.7");
        Assert.Null(limits.Admit(client, out IPAddress? first));
        Assert.Null(limits.Admit(client, out _));
        Assert.Equal("per-address", limits.Admit(client, out IPAddress? refused));
        Assert.Null(refused);
        Assert.Null(limits.Admit(IPAddress.Parse("203.0.113.8"), out _)); // another address is not affected

        limits.Release(first!);
        Assert.Null(limits.Admit(client, out _));
    }

    [Fact]
    public void New_connections_per_second_follow_a_token_bucket()
    {
        AddressLimits limits = Limits(0, 2, 3);
        IPAddress client = IPAddress.Parse("198.51.100.1");
        for (int i = 0; i < 3; i++)
        {
            Assert.Null(limits.Admit(client, out _)); // the burst
        }

        Assert.Equal("rate", limits.Admit(client, out _));
        Advance(0.5); // one token back at 2 per second
        Assert.Null(limits.Admit(client, out _));
        Assert.Equal("rate", limits.Admit(client, out _));
        Advance(60); // never more than the burst
        for (int i = 0; i < 3; i++)
        {
            Assert.Null(limits.Admit(client, out _));
        }

        Assert.Equal("rate", limits.Admit(client, out _));
    }

    [Fact]
    public void An_IPv6_client_is_counted_by_its_64_network_and_a_mapped_IPv4_as_itself()
    {
        AddressLimits limits = Limits(1, 0, 1);
        Assert.Null(limits.Admit(IPAddress.Parse("2001:db8:1:2::1"), out _));
        Assert.Equal("per-address", limits.Admit(IPAddress.Parse("2001:db8:1:2:ffff::9"), out _));
        Assert.Null(limits.Admit(IPAddress.Parse("2001:db8:1:3::1"), out _));

        Assert.Null(limits.Admit(IPAddress.Parse("192.0.2.1"), out _));
        Assert.Equal("per-address", limits.Admit(IPAddress.Parse("::ffff:192.0.2.1"), out _));
    }

    [Fact]
    public void Exempt_networks_are_not_counted()
    {
        AddressLimits limits = Limits(1, 1, 1, "127.0.0.0/8", "::1");
        for (int i = 0; i < 100; i++)
        {
            Assert.Null(limits.Admit(IPAddress.Loopback, out IPAddress? key));
            Assert.Null(key);
            Assert.Null(limits.Admit(IPAddress.Parse("127.0.0.40"), out _));
            Assert.Null(limits.Admit(IPAddress.IPv6Loopback, out _));
        }

        Assert.Equal(0, limits.Tracked);
    }

    [Fact]
    public void Addresses_seen_once_are_forgotten_so_memory_stays_bounded()
    {
        AddressLimits limits = Limits(10, 10, 10);
        var keys = new List<IPAddress>();
        for (int i = 0; i < 5_000; i++)
        {
            // A flood from ever new addresses, each connection ending at once.
            Assert.Null(limits.Admit(new IPAddress(0x0A000000u + (uint)i), out IPAddress? key));
            limits.Release(key!);
            Advance(0.01);
        }

        // Entries whose bucket refilled (1 s here) are swept every 1,024 admissions.
        Assert.InRange(limits.Tracked, 0, 1_024 + 100);
    }
}
