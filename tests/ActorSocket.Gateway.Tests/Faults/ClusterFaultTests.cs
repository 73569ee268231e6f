
namespace ActorSocket.Gateway.Tests.Faults;

/// <summary>
/// Faults on three daemons with .NET clients publishing and subscribing on every node, checked by
/// <see cref="OperationHistory"/>: a pause shorter than the resolver's stable-after removes nobody
/// and loses nothing; a node killed with -9 moves its clients to the others, which recover exactly
/// what they missed.
/// </summary>
[Collection(nameof(ClusterTests))]
public sealed class ClusterFaultTests
{
    [Fact]
    public async Task A_pause_shorter_than_stable_after_removes_nobody_and_loses_nothing()
    {
        ClusterNode[] nodes = await ClusterNode.StartThreeAsync(FaultRun.Namespace); // stable-after: 20 s (the default)
        try
        {
            await using FaultRun run = await FaultRun.StartAsync(nodes, "f:faults", 0, 1);
            run.StartPublishing();
            await run.PublishedAtLeastAsync(300);

            // Node 3 stops for 5 s (a long GC pause, a stalled VM), then goes on.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            await using var watch = new HealthWatch(nodes[2], clock);
            await nodes[2].FreezeAsync();
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(5)); // the fault's length, not a wait for something
            }
            finally
            {
                await nodes[2].ThawAsync();
            }

            // Waking up, its view of the cluster is 5 s old: /healthz says so rather than 200, until it has caught up.
            TimeSpan resumed = clock.Elapsed;
            await FaultRun.EventuallyAsync(() => watch.First(200, resumed) is not null, "/healthz 200 again on the paused node", TimeSpan.FromSeconds(30));
            (TimeSpan At, int Status, string Member) woke = watch.Changes.First(change => change.At >= resumed - TimeSpan.FromSeconds(1) && change.Status != 0);
            Assert.Equal(503, woke.Status);
            Assert.Contains("paused: the process stood still for", woke.Member, StringComparison.Ordinal);

            await run.PublishedAtLeastAsync(300);
            await run.StopPublishingAsync();
            Assert.Empty(await run.SettleAndCheckAsync());
            foreach (ClusterNode node in nodes)
            {
                await node.WaitUntilMemberAsync(3, TimeSpan.FromSeconds(30)); // nobody was removed
            }
        }
        finally
        {
            await nodes[2].ThawAsync();
            await Task.WhenAll(nodes.Select(node => node.DisposeAsync().AsTask()));
        }
    }

    [Fact]
    public async Task A_node_killed_during_a_burst_moves_its_clients_to_the_others_which_recover_exactly_what_they_missed()
    {
        ClusterNode[] nodes = await ClusterNode.StartThreeAsync([.. FaultRun.Namespace, "--set", "akka.cluster.split-brain-resolver.stable-after = 3s"]);
        try
        {
            // The victim is a node that does not hold the topic's owner (the owner's death is a new epoch: recovered false).
            (string topic, int owner) = await FaultRun.TopicOwnedAsync(nodes, _ => true);
            int victim = (owner + 1) % nodes.Length;
            await using FaultRun run = await FaultRun.StartAsync(nodes, topic);
            int[] survivors = [.. Enumerable.Range(0, 3).Where(node => node != victim)];
            foreach (int node in survivors)
            {
                await run.AddPublisherAsync(nodes, node, "p" + node);
            }

            run.StartPublishing();
            await run.PublishedAtLeastAsync(300);
            await nodes[victim].KillAsync();
            await run.PublishedAtLeastAsync(600);
            await run.StopPublishingAsync();

            Assert.Empty(await run.SettleAndCheckAsync());
            foreach (string moved in new[] { "s" + victim + "a", "s" + victim + "b" })
            {
                Assert.Contains(true, run.History.Resubscribes(moved, run.Topic)); // reconnected to another node and recovered
            }
        }
        finally
        {
            await Task.WhenAll(nodes.Select(node => node.DisposeAsync().AsTask()));
        }
    }

    [Fact]
    public async Task The_owner_s_node_killed_during_a_burst_loses_nothing_with_durable_history()
    {
        var postgres = new PostgresServer();
        await postgres.InitializeAsync();
        ClusterNode[] nodes = [];
        try
        {
            nodes = await ClusterNode.StartThreeAsync([.. FaultRun.DurableNamespace(await postgres.CreateDatabaseAsync()), "--set", "akka.cluster.split-brain-resolver.stable-after = 3s"]);
            (string topic, int owner) = await FaultRun.TopicOwnedAsync(nodes, _ => true);
            int[] survivors = [.. Enumerable.Range(0, 3).Where(node => node != owner)];
            await using FaultRun run = await FaultRun.StartAsync(nodes, topic, survivors);
            run.StartPublishing();
            await run.PublishedAtLeastAsync(300);

            // The owner's node dies: publishes wait for (or, in flight, are answered unavailable until) the
            // new owner, which reads the stream back from the database and goes on in the same epoch.
            await nodes[owner].KillAsync();
            await run.PublishedAtLeastAsync(300);
            await run.StopPublishingAsync();

            Assert.Empty(await run.SettleAndCheckAsync());
            foreach (string moved in new[] { "s" + owner + "a", "s" + owner + "b" })
            {
                Assert.Contains(true, run.History.Resubscribes(moved, run.Topic));
                Assert.DoesNotContain(false, run.History.Resubscribes(moved, run.Topic));
            }
        }
        finally
        {
            await Task.WhenAll(nodes.Select(node => node.DisposeAsync().AsTask()));
            await postgres.DisposeAsync();
        }
    }
}
