using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ActorSocket.Actors.Connections;

/// <summary>
/// Per-address admission at accept: concurrent connections from one address, and new connections
/// per second from it (a token bucket). An IPv6 client is counted by its /64 network, since one
/// host is usually given a whole /64. Exempt networks (loopback by default, trusted proxies) are
/// not counted.
/// </summary>
/// <remarks>
/// Used by the connections supervisor at accept and by connection actors for clients a trusted
/// proxy names, under one lock. Memory is bounded by the addresses with open connections plus
/// those seen within one bucket refill; idle entries are swept as accepts go on.
/// </remarks>
internal sealed class AddressLimits
{
    private const int SweepEvery = 1024;

    private readonly int _maxConnections;
    private readonly double _rate;
    private readonly double _burst;
    private readonly NetworkList _exempt;
    private readonly Func<long> _clock;
    private readonly Dictionary<IPAddress, Entry> _entries = [];
    private readonly Lock _lock = new();
    private int _admitsSinceSweep;

    /// <param name="maxConnections">Concurrent connections per address; 0 for no limit.</param>
    /// <param name="ratePerSecond">New connections per second per address; 0 for no limit.</param>
    /// <param name="burst">How many may arrive at once before the rate applies.</param>
    /// <param name="exempt">Networks the limits do not apply to.</param>
    /// <param name="clock">Stopwatch timestamps (tests pass a fake clock).</param>
    public AddressLimits(int maxConnections, double ratePerSecond, double burst, NetworkList exempt, Func<long>? clock = null)
    {
        _maxConnections = maxConnections;
        _rate = ratePerSecond;
        _burst = Math.Max(burst, 1);
        _exempt = exempt;
        _clock = clock ?? Stopwatch.GetTimestamp;
    }

    /// <summary>Whether any limit is set.</summary>
    public bool IsActive => _maxConnections > 0 || _rate > 0;

    /// <summary>Addresses tracked now (tests).</summary>
    public int Tracked
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>
    /// Counts a new connection from <paramref name="peer"/>, or refuses it. On success
    /// <paramref name="key"/> is what to hand to <see cref="Release"/> when it ends (null when not counted).
    /// </summary>
    /// <returns>Null when admitted; otherwise why not (for logs and metrics).</returns>
    public string? Admit(IPAddress peer, out IPAddress? key)
    {
        key = null;
        if (!IsActive || _exempt.Contains(peer))
        {
            return null;
        }

        lock (_lock)
        {
            return AdmitLocked(peer, out key);
        }
    }

    private string? AdmitLocked(IPAddress peer, out IPAddress? key)
    {
        key = null;
        if (++_admitsSinceSweep >= SweepEvery)
        {
            Sweep();
        }

        IPAddress address = Key(peer);
        long now = _clock();
        if (!_entries.TryGetValue(address, out Entry? entry))
        {
            entry = new Entry { Tokens = _burst, Refilled = now };
            _entries[address] = entry;
        }

        Refill(entry, now);
        if (_maxConnections > 0 && entry.Open >= _maxConnections)
        {
            return "per-address";
        }

        if (_rate > 0)
        {
            if (entry.Tokens < 1)
            {
                return "rate";
            }

            entry.Tokens -= 1;
        }

        entry.Open++;
        key = address;
        return null;
    }

    /// <summary>A connection counted by <see cref="Admit"/> ended.</summary>
    public void Release(IPAddress key)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out Entry? entry) && entry.Open > 0)
            {
                entry.Open--;
            }
        }
    }

    private void Refill(Entry entry, long now)
    {
        if (_rate > 0)
        {
            double seconds = (now - entry.Refilled) / (double)Stopwatch.Frequency;
            entry.Tokens = Math.Min(_burst, entry.Tokens + (seconds * _rate));
        }

        entry.Refilled = now;
    }

    /// <summary>Forgets addresses with no open connection whose bucket is full again: they would start afresh anyway.</summary>
    private void Sweep()
    {
        _admitsSinceSweep = 0;
        long now = _clock();
        List<IPAddress>? idle = null;
        foreach ((IPAddress address, Entry entry) in _entries)
        {
            Refill(entry, now);
            if (entry.Open == 0 && (_rate <= 0 || entry.Tokens >= _burst))
            {
                (idle ??= []).Add(address);
            }
        }

        idle?.ForEach(address => _entries.Remove(address));
    }

    /// <summary>An IPv4 address as it is; an IPv6 address reduced to its /64 network.</summary>
    private static IPAddress Key(IPAddress peer)
    {
        if (peer.IsIPv4MappedToIPv6)
        {
            return peer.MapToIPv4();
        }

        if (peer.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return peer;
        }

        Span<byte> bytes = stackalloc byte[16];
        peer.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes);
    }

    private sealed class Entry
    {
        public int Open;
        public double Tokens;
        public long Refilled;
    }
}
