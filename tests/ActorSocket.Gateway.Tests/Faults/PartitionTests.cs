using System.Diagnostics;
using ActorSocket.Protocol;
using Xunit.Abstractions;

namespace ActorSocket.Gateway.Tests.Faults;

/// <summary>
/// Network partitions between three daemons, each in a network namespace of its own
/// (<see cref="NetworkLab"/>), with .NET clients on every node checked by <see cref="OperationHistory"/>.
/// </summary>
[Collection(nameof(ClusterTests))]
public sealed class PartitionTests(ITestOutputHelper output)
{
    /// <summary>Removed 3 s after the failure detector's verdict, so that the test is quick.</summary>
    internal static readonly string[] Settings = [.. FaultRun.Namespace, "--set", "akka.cluster.split-brain-resolver.stable-after = 3s"];

    [Fact]
    public async Task A_node_cut_off_from_the_others_says_so_and_sends_its_clients_to_the_majority_which_loses_nothing()
    {
        await using NetworkLab lab = await NetworkLab.CreateAsync(3);
        ClusterNode[] nodes = await ClusterNode.StartThreeAsync(lab, Settings);
        try
        {
            (string topic, int owner) = await FaultRun.TopicOwnedAsync(nodes, _ => true);
            int cut = (owner + 1) % 3; // the topic's owner stays with the majority (see the operations guide for the other case)
            await using FaultRun run = await FaultRun.StartAsync(nodes, topic);
            int[] majority = [.. Enumerable.Range(0, 3).Where(node => node != cut)];
            await run.AddPublisherAsync(nodes, cut, "p" + cut); // a publisher on the minority side
            await run.AddPublisherAsync(nodes, owner, "p" + owner);
            run.StartPublishing();
            await run.PublishedAtLeastAsync(200);

            var clock = Stopwatch.StartNew();
            await using var minority = new HealthWatch(nodes[cut], clock);
            await using var other = new HealthWatch(nodes[majority[0]], clock);
            await lab.IsolateAsync(cut);

            // The minority node says so, and refuses new clients, before the resolver downs it.
            await FaultRun.EventuallyAsync(() => minority.First(503, TimeSpan.Zero) is not null, "/healthz 503 on the cut node", TimeSpan.FromSeconds(30));
            string upgrade = await RawClient.HttpAsync(nodes[cut].Port, "GET /pubsub HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", nodes[cut].Host);
            Assert.True(upgrade.StartsWith("HTTP/1.1 503 ", StringComparison.Ordinal) || upgrade.Length == 0, upgrade); // empty: downed meanwhile

            // The resolver downs it on both sides: its process ends, the majority goes on with two members.
            await FaultRun.EventuallyAsync(() => nodes[cut].HasExited, "the cut node's exit", TimeSpan.FromSeconds(60));
            TimeSpan downed = clock.Elapsed;
            foreach (int node in majority)
            {
                await nodes[node].WaitUntilMemberAsync(2, TimeSpan.FromSeconds(30));
            }

            // Its clients were told to go elsewhere, and do: publishing goes on.
            await run.PublishedAtLeastAsync(200);
            await run.StopPublishingAsync();
            Assert.Empty(await run.SettleAndCheckAsync());
            foreach (string client in new[] { "s" + cut + "a", "s" + cut + "b", "p" + cut })
            {
                Assert.Contains((client, (int)CloseCode.ServiceRestart), run.Closes);
            }

            foreach (string moved in new[] { "s" + cut + "a", "s" + cut + "b" })
            {
                Assert.Contains(true, run.History.Resubscribes(moved, run.Topic)); // recovered what they missed
            }

            Assert.False(minority.HealthySince(minority.First(503, TimeSpan.Zero)!.Value), "the cut node answered 200 again: " + string.Join("; ", minority.Changes));
            Assert.All(other.Changes, change => Assert.Equal(200, change.Status)); // the majority stayed ready throughout
            output.WriteLine($"owner on node {owner + 1}, cut node {cut + 1}: 503 after {minority.First(503, TimeSpan.Zero)!.Value.TotalSeconds:F1} s, exited after {downed.TotalSeconds:F1} s; "
                + $"longest silence of a majority subscriber {run.LongestGap(majority.SelectMany(n => new[] { "s" + n + "a", "s" + n + "b" })).TotalSeconds:F1} s, of a moved one {run.LongestGap(["s" + cut + "a", "s" + cut + "b"]).TotalSeconds:F1} s");
        }
        finally
        {
            await Task.WhenAll(nodes.Select(node => node.DisposeAsync().AsTask()));
        }
    }
}
