using System.Globalization;
using System.Net;

namespace ActorSocket.Gateway.Tests.Faults;

/// <summary>
/// A small network of its own for fault tests: one network namespace per node, joined by veth
/// pairs to a bridge in a hub namespace, and one veth from the test's own namespace to the bridge
/// so that the test's clients reach every node (at <see cref="HostAddress"/>). Each node's
/// namespace holds an nftables table, <c>inet fault</c>, whose rules cut links both ways or one
/// way, or drop a share of the packets between nodes; <see cref="HealAsync"/> empties them. A lab
/// created <c>relayed</c> sends each node's connections to the others through a <see cref="Relay"/>
/// in the test (an nftables DNAT rule per pair), which can delay them; its links are not cut.
/// Disposing deletes every namespace and the veth, which stops all traffic the lab carried; the
/// processes started in it must be stopped first.
/// </summary>
/// <remarks>
/// Needs root (or CAP_NET_ADMIN) and the <c>ip</c> and <c>nft</c> commands (Debian's iproute2 and
/// nftables). Names carry the test process's id, so a lab left behind by a process that died is
/// recognised and removed by the next one.
/// </remarks>
internal sealed class NetworkLab : IAsyncDisposable
{
    /// <summary>The port every node's remoting listens on (each namespace has its own ports).</summary>
    public const int ClusterPort = 4053;

    /// <summary>The port every node's HTTP and WebSocket listener uses.</summary>
    public const int HttpPort = 8080;

    private const string Prefix = "asfl";
    private static int s_labs;

    private readonly string _name;
    private readonly int _subnet;
    private readonly int _nodes;
    private readonly bool _relayed;
    private readonly List<Relay> _relays = [];

    private NetworkLab(string name, int subnet, int nodes, bool relayed)
    {
        _name = name;
        _subnet = subnet;
        _nodes = nodes;
        _relayed = relayed;
    }

    /// <summary>The test's own address on the lab's network (clients connect from it).</summary>
    public string HostAddress => Subnet + "254";

    private string Subnet => "10.213." + _subnet.ToString(CultureInfo.InvariantCulture) + ".";

    private string Hub => _name + "h";

    private string RootLink => _name; // at most 15 characters: asfl + pid + lab

    /// <summary>The address of node <paramref name="node"/> (0-based).</summary>
    public string NodeAddress(int node) => Subnet + (node + 1).ToString(CultureInfo.InvariantCulture);

    /// <summary>Node <paramref name="node"/>'s cluster address, on <see cref="ClusterPort"/>.</summary>
    public string ClusterAddress(int node) => "akka.tcp://actorsocket@" + NodeAddress(node) + ":" + ClusterPort.ToString(CultureInfo.InvariantCulture);

    /// <summary>The command prefix that runs a program in node <paramref name="node"/>'s namespace.</summary>
    public IReadOnlyList<string> Launcher(int node) => ["ip", "netns", "exec", Namespace(node)];

    /// <summary>Creates the namespaces, links and fault tables for <paramref name="nodes"/> nodes; <paramref name="relayed"/>: the links between nodes pass a <see cref="Relay"/> each.</summary>
    public static async Task<NetworkLab> CreateAsync(int nodes, bool relayed = false)
    {
        await RemoveAbandonedAsync();
        int lab = Interlocked.Increment(ref s_labs);
        int pid = Environment.ProcessId;
        var created = new NetworkLab(Prefix + pid.ToString(CultureInfo.InvariantCulture) + "x" + lab.ToString(CultureInfo.InvariantCulture), (pid + lab) % 250, nodes, relayed);
        try
        {
            await created.BuildAsync();
            return created;
        }
        catch
        {
            await created.DisposeAsync();
            throw;
        }
    }

    /// <summary>Cuts every packet between <paramref name="a"/> and <paramref name="b"/>, both ways.</summary>
    public async Task CutAsync(int a, int b)
    {
        await CutOneWayAsync(a, b);
        await CutOneWayAsync(b, a);
    }

    /// <summary>Drops every packet <paramref name="from"/> sends to <paramref name="to"/>; the other way still passes.</summary>
    public Task CutOneWayAsync(int from, int to) => _relayed
        ? throw new InvalidOperationException("a relayed lab's links are delayed, not cut")
        : NftAsync(from, "add", "rule", "inet", "fault", "output", "ip", "daddr", NodeAddress(to), "drop");

    /// <summary>Cuts <paramref name="node"/> from every other node; the test's clients still reach it.</summary>
    public async Task IsolateAsync(int node)
    {
        for (int other = 0; other < _nodes; other++)
        {
            if (other != node)
            {
                await CutAsync(node, other);
            }
        }
    }

    /// <summary>
    /// Drops <paramref name="percent"/>% of the packets each node sends on its connections with the
    /// other nodes (those to or from a remoting port), chosen at random: each packet between two nodes
    /// leaves one node's namespace once, relayed or not. TCP retransmits them: the links are lossy and
    /// slow, not cut.
    /// </summary>
    public async Task LoseAsync(int percent)
    {
        for (int node = 0; node < _nodes; node++)
        {
            await NftAsync(node, "add", "rule", "inet", "fault", "output", "meta", "l4proto", "tcp", "ct", "original", "proto-dst", ClusterPort.ToString(CultureInfo.InvariantCulture), "numgen", "random", "mod", "100", "<", percent.ToString(CultureInfo.InvariantCulture), "drop");
        }
    }

    /// <summary>Holds everything between nodes for <paramref name="delay"/> each way (a relayed lab only).</summary>
    public void Delay(TimeSpan delay)
    {
        if (!_relayed)
        {
            throw new InvalidOperationException("only a relayed lab delays its links");
        }

        _relays.ForEach(relay => relay.Delay = delay);
    }

    /// <summary>Bytes the relays forwarded between nodes so far (0 in a lab that is not relayed).</summary>
    public long RelayedBytes => _relays.Sum(relay => relay.BytesForwarded);

    /// <summary>Removes every fault rule and delay: every link carries everything again, at once.</summary>
    public async Task HealAsync()
    {
        _relays.ForEach(relay => relay.Delay = TimeSpan.Zero);
        for (int node = 0; node < _nodes; node++)
        {
            await NftAsync(node, "flush", "chain", "inet", "fault", "output");
        }
    }

    /// <summary>Deletes the veth and the namespaces (the links inside go with them), and stops the relays.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (Relay relay in _relays)
        {
            await relay.DisposeAsync();
        }

        await TryAsync("ip", "link", "del", RootLink);
        for (int node = 0; node < _nodes; node++)
        {
            await TryAsync("ip", "netns", "del", Namespace(node));
        }

        await TryAsync("ip", "netns", "del", Hub);
    }

    private string Namespace(int node) => _name + "n" + (node + 1).ToString(CultureInfo.InvariantCulture);

    private async Task BuildAsync()
    {
        await RunAsync("ip", "netns", "add", Hub);
        await RunAsync("ip", "-n", Hub, "link", "add", "br0", "type", "bridge");
        await RunAsync("ip", "-n", Hub, "link", "set", "br0", "up");
        await RunAsync("ip", "link", "add", RootLink, "type", "veth", "peer", "name", "up0", "netns", Hub);
        await RunAsync("ip", "-n", Hub, "link", "set", "up0", "master", "br0", "up");
        await RunAsync("ip", "addr", "add", HostAddress + "/24", "dev", RootLink);
        await RunAsync("ip", "link", "set", RootLink, "up");
        for (int node = 0; node < _nodes; node++)
        {
            string ns = Namespace(node);
            string port = "n" + (node + 1).ToString(CultureInfo.InvariantCulture);
            await RunAsync("ip", "netns", "add", ns);
            await RunAsync("ip", "link", "add", "name", port, "netns", Hub, "type", "veth", "peer", "name", "eth0", "netns", ns);
            await RunAsync("ip", "-n", Hub, "link", "set", port, "master", "br0", "up");
            await RunAsync("ip", "-n", ns, "addr", "add", NodeAddress(node) + "/24", "dev", "eth0");
            await RunAsync("ip", "-n", ns, "link", "set", "eth0", "up");
            await RunAsync("ip", "-n", ns, "link", "set", "lo", "up");
            await NftAsync(node, "add", "table", "inet", "fault");
            await NftAsync(node, "add", "chain", "inet", "fault", "output", "{ type filter hook output priority 0 ; }");
        }

        if (!_relayed)
        {
            return;
        }

        for (int from = 0; from < _nodes; from++)
        {
            await NftAsync(from, "add", "table", "ip", "relay");
            await NftAsync(from, "add", "chain", "ip", "relay", "output", "{ type nat hook output priority -100 ; }");
            for (int to = 0; to < _nodes; to++)
            {
                if (to != from)
                {
                    var relay = new Relay(IPAddress.Parse(HostAddress), new IPEndPoint(IPAddress.Parse(NodeAddress(to)), ClusterPort));
                    _relays.Add(relay);
                    string port = ClusterPort.ToString(CultureInfo.InvariantCulture);
                    await NftAsync(from, "add", "rule", "ip", "relay", "output", "ip", "daddr", NodeAddress(to), "tcp", "dport", port, "dnat", "to", HostAddress + ":" + relay.Port.ToString(CultureInfo.InvariantCulture));
                }
            }
        }
    }

    private Task NftAsync(int node, params string[] arguments) =>
        RunAsync("ip", ["netns", "exec", Namespace(node), "nft", .. arguments]);

    private static async Task RemoveAbandonedAsync()
    {
        (int _, string output) = await ExternalProcess.RunAsync("ip", ["netns", "list"], TimeSpan.FromSeconds(10));
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string ns = line.Split(' ')[0];
            if (!ns.StartsWith(Prefix, StringComparison.Ordinal))
            {
                continue;
            }

            int end = ns.IndexOf('x', StringComparison.Ordinal);
            if (end > Prefix.Length && int.TryParse(ns.AsSpan(Prefix.Length, end - Prefix.Length), CultureInfo.InvariantCulture, out int owner) && !Directory.Exists("/proc/" + owner.ToString(CultureInfo.InvariantCulture)))
            {
                int labEnd = end + 1;
                while (labEnd < ns.Length && char.IsAsciiDigit(ns[labEnd]))
                {
                    labEnd++;
                }

                await TryAsync("ip", "link", "del", ns[..labEnd]); // the lab's veth, named after it
                await TryAsync("ip", "netns", "del", ns);
            }
        }
    }

    private static Task RunAsync(string program, params string[] arguments) => RunAsync(program, (IEnumerable<string>)arguments);

    private static async Task RunAsync(string program, IEnumerable<string> arguments)
    {
        string[] all = [.. arguments];
        (int exitCode, string output) = await ExternalProcess.RunAsync(program, all, TimeSpan.FromSeconds(20));
        if (exitCode != 0)
        {
            throw new InvalidOperationException("the fault lab needs root and Debian's iproute2 and nftables: " + program + " " + string.Join(' ', all) + " exited " + exitCode.ToString(CultureInfo.InvariantCulture) + ": " + output);
        }
    }

    private static async Task TryAsync(string program, params string[] arguments)
    {
        try
        {
            await ExternalProcess.RunAsync(program, arguments, TimeSpan.FromSeconds(20));
        }
        catch (TimeoutException)
        {
            // best effort: what is left is removed by the next lab (its owner is gone)
        }
    }
}
