using System.Diagnostics;
using Xunit.Abstractions;

namespace ActorSocket.Gateway.Tests.Faults;

/// <summary>
/// The fault scenarios that take a minute or more each, with the resolver's default
/// <c>stable-after</c> (20 s): not part of the test command; <c>bench/run-faults.sh</c> runs them
/// and writes their table (<see cref="FaultReport"/>). Each asserts what the contract promises
/// under its fault: nothing acknowledged lost for subscribers on the surviving majority, every
/// client of a removed node told to go elsewhere and recovering what it missed, and a node outside
/// the majority never answering <c>/healthz</c> with 200.
/// </summary>
[Collection(nameof(ClusterTests))]
[Trait("Category", "LongFaults")]
public sealed class LongFaultTests(ITestOutputHelper output)
{
    /// <summary>Each publisher publishes at most 100 messages a second: a run of minutes stays within the history.</summary>
    private static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(10);

    [Fact]
    public async Task A_40_s_pause_of_one_node()
    {
        ClusterNode[] nodes = await ClusterNode.StartThreeAsync(FaultRun.Namespace);
        try
        {
            (string topic, int owner) = await FaultRun.TopicOwnedAsync(nodes, _ => true);
            int paused = (owner + 1) % 3;
            int[] others = Others(paused);
            await using FaultRun run = await FaultRun.StartAsync(nodes, topic, [.. others]);
            run.StartPublishing(Pace);
            await run.PublishedAtLeastAsync(200);

            var clock = Stopwatch.StartNew();
            await using var watch = new HealthWatch(nodes[paused], clock);
            await using var majority = new HealthWatch(nodes[others[0]], clock);
            await nodes[paused].FreezeAsync();
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(40)); // the fault's length
            }
            finally
            {
                await nodes[paused].ThawAsync();
            }

            TimeSpan resumed = clock.Elapsed;
            await FaultRun.EventuallyAsync(() => nodes[paused].HasExited, "the paused node's exit", TimeSpan.FromSeconds(60));
            foreach (int node in others)
            {
                await nodes[node].WaitUntilMemberAsync(2, TimeSpan.FromSeconds(30));
            }

            await run.PublishedAtLeastAsync(200);
            await run.StopPublishingAsync();
            string[] moved = Subscribers(paused);
            IReadOnlyList<string> violations = await SettleAsync(run, moved);
            Assert.All(moved, subscriber => Assert.Contains(true, run.History.Resubscribes(subscriber, run.Topic)));
            Assert.False(watch.HealthySince(resumed), "the paused node answered 200 after it resumed: " + string.Join("; ", watch.Changes));
            TimeSpan? detected = majority.Changes.Where(c => c.Member.Contains("unreachable 1", StringComparison.Ordinal)).Select(c => (TimeSpan?)c.At).FirstOrDefault();
            Assert.Empty(violations);
            FaultReport.Write(output, "40 s pause (SIGSTOP) of a node without the owner", run, [.. others.SelectMany(Subscribers)], moved, detected, FaultReport.Told(run, moved),
                $"removed by the others; after it resumed: {Describe(watch, resumed)}; exited {(clock.Elapsed - resumed).TotalSeconds:F0} s or less after resuming");
        }
        finally
        {
            await Task.WhenAll(nodes.Select(node => node.DisposeAsync().AsTask()));
        }
    }

    [Fact]
    public async Task A_partition_of_the_first_node_from_the_two_others_with_a_publisher_on_it()
    {
        await using NetworkLab lab = await NetworkLab.CreateAsync(3);
        ClusterNode[] nodes = await ClusterNode.StartThreeAsync(lab, FaultRun.Namespace);
        try
        {
            const int Cut = 0; // the oldest node: the shard coordinator's and the first seed's
            (string topic, int owner) = await FaultRun.TopicOwnedAsync(nodes, node => node != Cut);
            await using FaultRun run = await FaultRun.StartAsync(nodes, topic, Cut, owner);
            run.StartPublishing(Pace);
            await run.PublishedAtLeastAsync(200);

            var clock = Stopwatch.StartNew();
            await using var minority = new HealthWatch(nodes[Cut], clock);
            await using var majority = new HealthWatch(nodes[Others(Cut)[0]], clock);
            await lab.IsolateAsync(Cut);
            await FaultRun.EventuallyAsync(() => nodes[Cut].HasExited, "the cut node's exit", TimeSpan.FromSeconds(90));
            TimeSpan exited = clock.Elapsed;
            foreach (int node in Others(Cut))
            {
                await nodes[node].WaitUntilMemberAsync(2, TimeSpan.FromSeconds(30));
            }

            await run.PublishedAtLeastAsync(200);
            await lab.HealAsync();
            await run.StopPublishingAsync();
            string[] moved = [.. Subscribers(Cut), "p" + Cut];
            IReadOnlyList<string> violations = await SettleAsync(run, moved);
            Assert.All(Subscribers(Cut), subscriber => Assert.Contains(true, run.History.Resubscribes(subscriber, run.Topic)));
            TimeSpan? detected = minority.First(503, TimeSpan.Zero);
            Assert.NotNull(detected);
            Assert.False(minority.HealthySince(detected.Value), "the cut node answered 200 again: " + string.Join("; ", minority.Changes));
            Assert.All(majority.Changes, change => Assert.Equal(200, change.Status));
            Assert.Empty(violations);
            FaultReport.Write(output, "partition {1} | {2,3}, a publisher on 1", run, [.. Others(Cut).SelectMany(Subscribers)], Subscribers(Cut), detected, FaultReport.Told(run, moved),
                $"node 1: 503 from {detected.Value.TotalSeconds:F1} s, exited at {exited.TotalSeconds:F1} s; the majority answered 200 throughout");
        }
        finally
        {
            await Task.WhenAll(nodes.Select(node => node.DisposeAsync().AsTask()));
        }
    }

    [Fact]
    public async Task An_asymmetric_partition()
    {
        await using NetworkLab lab = await NetworkLab.CreateAsync(3);
        ClusterNode[] nodes = await ClusterNode.StartThreeAsync(lab, FaultRun.Namespace);
        try
        {
            // Everything node 2 sends to node 3 is lost; node 3 still reaches node 2, and node 1 both.
            const int From = 1, To = 2;
            (string topic, int owner) = await FaultRun.TopicOwnedAsync(nodes, node => node == 0);
            await using FaultRun run = await FaultRun.StartAsync(nodes, topic, 0, 1, 2);
            run.StartPublishing(Pace);
            await run.PublishedAtLeastAsync(200);

            var clock = Stopwatch.StartNew();
            await using var all = new WatchSet(nodes, clock);
            HealthWatch[] watches = all.Watches;
            await lab.CutOneWayAsync(From, To);

            // The resolver settles it: some nodes leave (their processes end), the rest agree.
            await FaultRun.EventuallyAsync(() => nodes.Any(node => node.HasExited), "a node's removal", TimeSpan.FromSeconds(120));
            await Task.Delay(TimeSpan.FromSeconds(5)); // let a second decision, if any, land: the fault's settling time, not a wait for something
            int[] survivors = await SurvivorsAgreeAsync(nodes);

            await run.PublishedAtLeastAsync(200);
            await lab.HealAsync();
            await run.StopPublishingAsync();
            (int[] removed, string[] moved) = Removed(survivors);
            IReadOnlyList<string> violations = await SettleAsync(run, moved);
            foreach (int node in removed)
            {
                TimeSpan? unready = watches[node].First(503, TimeSpan.Zero);
                Assert.True(unready is null || !watches[node].HealthySince(unready.Value), "a removed node answered 200 again: " + string.Join("; ", watches[node].Changes));
            }

            TimeSpan? detected = watches.SelectMany(w => w.Changes).Where(c => c.Status != 200 || !c.Member.Contains("unreachable 0", StringComparison.Ordinal)).Select(c => (TimeSpan?)c.At).Min();
            Assert.Empty(violations);
            FaultReport.Write(output, "asymmetric: node 2's packets to node 3 lost", run, [.. survivors.SelectMany(Subscribers)], moved, detected, FaultReport.Told(run, moved),
                "removed: " + string.Join(", ", removed.Select(node => "node " + (node + 1))) + "; " + string.Join("; ", Enumerable.Range(0, 3).Select(node => "node " + (node + 1) + " " + Describe(watches[node], TimeSpan.Zero))));
        }
        finally
        {
            await Task.WhenAll(nodes.Select(node => node.DisposeAsync().AsTask()));
        }
    }

    [Fact]
    public async Task A_minute_of_20_percent_loss_and_200_ms_delay_between_nodes()
    {
        await using NetworkLab lab = await NetworkLab.CreateAsync(3, relayed: true);
        ClusterNode[] nodes = await ClusterNode.StartThreeAsync(lab, FaultRun.Namespace);
        try
        {
            (string topic, _) = await FaultRun.TopicOwnedAsync(nodes, _ => true);
            await using FaultRun run = await FaultRun.StartAsync(nodes, topic, 0, 1, 2);
            run.StartPublishing(Pace);
            await run.PublishedAtLeastAsync(200);

            var clock = Stopwatch.StartNew();
            await using var all = new WatchSet(nodes, clock);
            HealthWatch[] watches = all.Watches;
            Assert.True(lab.RelayedBytes > 0, "the nodes' links do not pass the relays");
            lab.Delay(TimeSpan.FromMilliseconds(200));
            await lab.LoseAsync(20);
            int before = run.Published;
            await Task.Delay(TimeSpan.FromMinutes(1)); // the fault's length
            int during = run.Published - before;
            await lab.HealAsync();

            int[] survivors = await SurvivorsAgreeAsync(nodes);

            await run.PublishedAtLeastAsync(200);
            await run.StopPublishingAsync();
            (int[] removed, string[] moved) = Removed(survivors);
            IReadOnlyList<string> violations = await SettleAsync(run, moved);
            TimeSpan? detected = watches.SelectMany(w => w.Changes).Where(c => c.At > TimeSpan.Zero && (c.Status != 200 || !c.Member.Contains("unreachable 0", StringComparison.Ordinal))).Select(c => (TimeSpan?)c.At).Min();
            Assert.Empty(violations);
            FaultReport.Write(output, "20% loss and 200 ms delay each way between nodes for a minute", run, [.. survivors.SelectMany(Subscribers)], moved, detected, FaultReport.Told(run, moved),
                $"{during} publishes during the minute (3 publishers, one at a time each); removed: {(removed.Length == 0 ? "none" : string.Join(", ", removed.Select(node => "node " + (node + 1))))}; "
                + string.Join("; ", Enumerable.Range(0, 3).Select(node => "node " + (node + 1) + " " + Describe(watches[node], TimeSpan.Zero))));
        }
        finally
        {
            await Task.WhenAll(nodes.Select(node => node.DisposeAsync().AsTask()));
        }
    }

    [Fact]
    public async Task A_rolling_restart_of_every_node_with_durable_history()
    {
        await using NetworkLab lab = await NetworkLab.CreateAsync(3);
        var postgres = new PostgresServer { AlsoListenOn = lab.HostAddress, TrustedNetwork = lab.NodeAddress(0) + "/24" };
        await postgres.InitializeAsync();
        ClusterNode[] nodes = [];
        try
        {
            nodes = await ClusterNode.StartThreeAsync(lab, FaultRun.DurableNamespace(await postgres.CreateDatabaseAsync(lab.HostAddress)));
            (string topic, _) = await FaultRun.TopicOwnedAsync(nodes, _ => true);
            await using FaultRun run = await FaultRun.StartAsync(nodes, topic, 0, 1, 2);
            run.StartPublishing(Pace);
            await run.PublishedAtLeastAsync(200);

            var clock = Stopwatch.StartNew();
            for (int node = 0; node < 3; node++)
            {
                await nodes[node].RestartAsync(); // SIGTERM: it leaves, its clients get 1001 and move; then it comes back
                foreach (ClusterNode member in nodes)
                {
                    await member.WaitUntilMemberAsync(3, TimeSpan.FromSeconds(60));
                }

                await run.PublishedAtLeastAsync(100);
            }

            TimeSpan took = clock.Elapsed;
            await run.StopPublishingAsync();
            IReadOnlyList<string> violations = await SettleAsync(run, []);
            string[] all = [.. Enumerable.Range(0, 3).SelectMany(Subscribers)];
            Assert.All(all, subscriber => Assert.All(run.History.Resubscribes(subscriber, run.Topic), recovered => Assert.True(recovered)));
            Assert.Empty(violations);
            FaultReport.Write(output, "rolling restart (SIGTERM, start again) of all three nodes, durable history in PostgreSQL", run, all, all, null, FaultReport.Told(run, all),
                $"every resubscribe recovered (same epoch); the restart of the three took {took.TotalSeconds:F0} s");
        }
        finally
        {
            await Task.WhenAll(nodes.Select(node => node.DisposeAsync().AsTask()));
            await postgres.DisposeAsync();
        }
    }

    /// <summary>The nodes still running, once each of them sees exactly them as members, all reachable.</summary>
    private static async Task<int[]> SurvivorsAgreeAsync(ClusterNode[] nodes)
    {
        int[] survivors = [.. Enumerable.Range(0, nodes.Length).Where(node => !nodes[node].HasExited)];
        Assert.NotEmpty(survivors);
        foreach (int node in survivors)
        {
            await nodes[node].WaitUntilMemberAsync(survivors.Length, TimeSpan.FromSeconds(60));
        }

        return survivors;
    }

    /// <summary>
    /// Lets the run settle and prints what the history checker found; every client of
    /// <paramref name="moved"/> was told to reconnect elsewhere (1012). The violations are returned for
    /// the test to assert once its report is written.
    /// </summary>
    private async Task<IReadOnlyList<string>> SettleAsync(FaultRun run, IEnumerable<string> moved)
    {
        IReadOnlyList<string> violations = await run.SettleAndCheckAsync();
        FaultReport.Print(output, violations);
        Assert.All(moved, client => Assert.Contains((client, 1012), run.Closes));
        return violations;
    }

    /// <summary>The nodes the cluster removed, given its <paramref name="survivors"/>, and their subscribers.</summary>
    private static (int[] Removed, string[] Moved) Removed(int[] survivors)
    {
        int[] removed = [.. Enumerable.Range(0, 3).Except(survivors)];
        return (removed, [.. removed.SelectMany(Subscribers)]);
    }

    private static int[] Others(int node) => [.. Enumerable.Range(0, 3).Where(other => other != node)];

    private static string[] Subscribers(int node) => ["s" + node + "a", "s" + node + "b"];

    /// <summary>A <see cref="HealthWatch"/> on every node, disposed together.</summary>
    private sealed class WatchSet(ClusterNode[] nodes, Stopwatch clock) : IAsyncDisposable
    {
        public HealthWatch[] Watches { get; } = [.. nodes.Select(node => new HealthWatch(node, clock))];

        public async ValueTask DisposeAsync()
        {
            foreach (HealthWatch watch in Watches)
            {
                await watch.DisposeAsync();
            }
        }
    }

    /// <summary>The answers a node gave from <paramref name="from"/> on: "200 -> 503 (12.3 s) -> none (30.1 s)".</summary>
    private static string Describe(HealthWatch watch, TimeSpan from)
    {
        var answers = watch.Changes.Where(c => c.At >= from).Where((c, i) => i == 0 || watch.Changes.Where(d => d.At >= from).ElementAt(i - 1).Status != c.Status).Select(c => (c.Status == 0 ? "none" : c.Status.ToString(System.Globalization.CultureInfo.InvariantCulture)) + " at " + c.At.TotalSeconds.ToString("F1", System.Globalization.CultureInfo.InvariantCulture) + " s");
        return string.Join(" -> ", answers);
    }
}
