using System.Globalization;
using System.Text.RegularExpressions;

namespace ActorSocket.Gateway.Tests;

/// <summary>
/// One daemon process in cluster mode on loopback: HTTP on a free port, remoting on a free port,
/// joining <c>seed</c> (or starting a cluster when there is none). Stopped (killed if need be) on dispose.
/// </summary>
public sealed partial class ClusterNode : IAsyncDisposable
{
    private readonly IReadOnlyList<string> _arguments;
    private readonly IReadOnlyList<string>? _launcher;
    private DaemonProcess _daemon;

    private ClusterNode(DaemonProcess daemon, string address, IReadOnlyList<string> arguments, IReadOnlyList<string>? launcher)
    {
        _daemon = daemon;
        Address = address;
        _arguments = arguments;
        _launcher = launcher;
    }

    /// <summary>The WebSocket base URL, ws://127.0.0.1:port.</summary>
    public string Url => _daemon.Url;

    /// <summary>The HTTP port.</summary>
    public int Port => _daemon.Port;

    /// <summary>The address its HTTP and WebSocket listener is on.</summary>
    public string Host => _daemon.Host;

    /// <summary>Whether the process has ended (downed by the cluster, killed or stopped).</summary>
    public bool HasExited => _daemon.HasExited;

    /// <summary>The node's cluster address (akka.tcp://actorsocket@127.0.0.1:port, akka.ssl.tcp:// over TLS).</summary>
    public string Address { get; }

    /// <summary>Everything the process printed so far.</summary>
    public string Output => _daemon.Output;

    /// <summary>Starts a node and waits until it listens and has printed its cluster address.</summary>
    public static async Task<ClusterNode> StartAsync(string? seed, params string[] extra)
    {
        var args = new List<string> { "--cluster", "--cluster-port", "0" };
        if (seed is not null)
        {
            args.AddRange(["--seed-node", seed]);
        }

        args.AddRange(extra);
        return await LaunchAsync(args, launcher: null);
    }

    /// <summary>
    /// Starts node <paramref name="node"/> of <paramref name="lab"/> in its own network namespace, on
    /// the lab's fixed ports, with the first <paramref name="nodes"/> nodes of the lab as seeds (the
    /// first of them starts the cluster when nobody else answers), and waits until it listens.
    /// </summary>
    internal static async Task<ClusterNode> StartAsync(Faults.NetworkLab lab, int node, int nodes, params string[] extra)
    {
        string host = lab.NodeAddress(node);
        var args = new List<string>
        {
            "--cluster", "--host", host, "--port", Faults.NetworkLab.HttpPort.ToString(CultureInfo.InvariantCulture),
            "--cluster-host", host, "--cluster-port", Faults.NetworkLab.ClusterPort.ToString(CultureInfo.InvariantCulture),
        };
        for (int seed = 0; seed < nodes; seed++)
        {
            args.AddRange(["--seed-node", lab.ClusterAddress(seed)]);
        }

        args.AddRange(extra);
        return await LaunchAsync(args, lab.Launcher(node));
    }

    /// <summary>Starts three nodes of <paramref name="lab"/> (the first, then the two others) and waits until all are up.</summary>
    internal static Task<ClusterNode[]> StartThreeAsync(Faults.NetworkLab lab, params string[] extra) =>
        StartThreeAsync(() => StartAsync(lab, 0, 3, extra), (_, node) => StartAsync(lab, node, 3, extra));

    /// <summary>Stops the process with SIGTERM (it leaves the cluster) and starts it again with the same arguments; waits until it listens.</summary>
    public async Task RestartAsync()
    {
        await _daemon.DisposeAsync();
        ClusterNode again = await LaunchAsync(_arguments, _launcher);
        _daemon = again._daemon;
    }

    private static async Task<ClusterNode> LaunchAsync(IReadOnlyList<string> args, IReadOnlyList<string>? launcher)
    {
        DaemonProcess daemon = await DaemonProcess.StartWithArgumentsAsync(args, launcher);
        try
        {
            return new ClusterNode(daemon, await daemon.WaitForMatchAsync(AddressLine(), TimeSpan.FromSeconds(30)), args, launcher);
        }
        catch
        {
            await daemon.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts three nodes, the second and third joining the first, and waits until all are up.</summary>
    public static Task<ClusterNode[]> StartThreeAsync(params string[] extra) =>
        StartThreeAsync(() => StartAsync(null, extra), (first, _) => StartAsync(first.Address, extra));

    private static async Task<ClusterNode[]> StartThreeAsync(Func<Task<ClusterNode>> startFirst, Func<ClusterNode, int, Task<ClusterNode>> startOther)
    {
        var nodes = new List<ClusterNode>();
        try
        {
            nodes.Add(await startFirst());
            nodes.AddRange(await Task.WhenAll(startOther(nodes[0], 1), startOther(nodes[0], 2)));
            foreach (ClusterNode node in nodes)
            {
                await node.WaitUntilMemberAsync(3);
            }

            return [.. nodes];
        }
        catch
        {
            foreach (ClusterNode node in nodes)
            {
                await node.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>GET /healthz: the status code and the X-Cluster-Member header.</summary>
    public async Task<(int Status, string Member)> HealthAsync()
    {
        string response = await RawClient.HttpAsync(Port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", Host);
        int status = int.Parse(response.AsSpan(9, 3), CultureInfo.InvariantCulture);
        Match member = MemberHeader().Match(response);
        return (status, member.Success ? member.Groups[1].Value.Trim() : string.Empty);
    }

    /// <summary>Polls /healthz until this node is up with <paramref name="upMembers"/> members up and none unreachable.</summary>
    public async Task WaitUntilMemberAsync(int upMembers, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        string expected = "members " + upMembers.ToString(CultureInfo.InvariantCulture) + " up of " + upMembers.ToString(CultureInfo.InvariantCulture) + "; unreachable 0";
        while (true)
        {
            (int status, string member) = await HealthAsync();
            if (status == 200 && member.EndsWith(expected, StringComparison.Ordinal))
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"node {Address} did not see {expected}; last /healthz {status} {member}\n{Output}");
            await Task.Delay(100);
        }
    }

    /// <summary>One metric's value from /metrics (0 when absent).</summary>
    public async Task<double> MetricAsync(string name)
    {
        string response = await RawClient.HttpAsync(Port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", Host);
        Match match = Regex.Match(response, "^" + Regex.Escape(name) + " (\\S+)$", RegexOptions.Multiline);
        return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }

    /// <summary>Freezes the process (SIGSTOP), as a long pause or a stalled VM would; <see cref="ThawAsync"/> resumes it.</summary>
    public Task FreezeAsync() => SignalAsync("STOP");

    /// <summary>Resumes a frozen process (SIGCONT).</summary>
    public Task ThawAsync() => SignalAsync("CONT");

    /// <summary>kill -9: no leave, no close frames, the socket vanishes.</summary>
    public Task KillAsync() => _daemon.KillAsync();

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _daemon.DisposeAsync();

    private async Task SignalAsync(string signal)
    {
        (int exitCode, string output) = await ExternalProcess.RunAsync("kill", ["-" + signal, _daemon.Pid.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10));
        Assert.True(exitCode == 0, "kill -" + signal + ": " + output);
    }

    [GeneratedRegex(@"Cluster node (akka(?:\.ssl)?\.tcp://\S+) joining")]
    private static partial Regex AddressLine();

    [GeneratedRegex(@"X-Cluster-Member: ([^\r\n]*)", RegexOptions.IgnoreCase)]
    private static partial Regex MemberHeader();
}
