using System.Globalization;
using System.Net.WebSockets;
using System.Text.Json;

namespace ActorSocket.Gateway.Tests;

/// <summary>Real daemons on loopback: run alone, since a starved failure detector is not what they test.</summary>
[CollectionDefinition(nameof(ClusterTests), DisableParallelization = true)]
public sealed class ClusterCollection
{
}

/// <summary>
/// Three daemon processes form a cluster on loopback; clients on different nodes exchange messages
/// through /pubsub. Each test bounds its time and stops every process it started.
/// </summary>
[Collection(nameof(ClusterTests))]
public sealed class ClusterTests
{
    // A killed node is downed 3 s after it is found unreachable (default 20 s): the test is about
    // what happens next, not about waiting.
    private static readonly string[] QuickDowning = ["--set", "akka.cluster.split-brain-resolver.stable-after = 3s"];

    [Fact]
    public async Task Subscribers_on_nodes_2_and_3_receive_what_a_client_publishes_on_node_1_complete_and_in_order()
    {
        ClusterNode[] nodes = await ClusterNode.StartThreeAsync();
        try
        {
            using ClientWebSocket onNode2 = await SubscribeAsync(nodes[1], "room");
            using ClientWebSocket onNode3 = await SubscribeAsync(nodes[2], "room");
            using ClientWebSocket publisher = await ConnectAsync(nodes[0]);
            const int count = 2000;
            for (int i = 0; i < count; i++)
            {
                await PublishAsync(publisher, "room", i.ToString(CultureInfo.InvariantCulture));
            }

            foreach (ClientWebSocket subscriber in new[] { onNode2, onNode3 })
            {
                for (int i = 0; i < count; i++)
                {
                    JsonElement message = await ReceiveAsync(subscriber);
                    Assert.Equal("room", message.GetProperty("topic").GetString());
                    Assert.Equal(i, message.GetProperty("data").GetInt32());
                }
            }

            // Each message crossed to each other node once.
            Assert.Equal(count, await nodes[0].MetricAsync("actorsocket_cluster_messages_sent_total"));
            Assert.Equal(count, await nodes[1].MetricAsync("actorsocket_cluster_messages_received_total"));
            Assert.Equal(count, await nodes[2].MetricAsync("actorsocket_cluster_messages_received_total"));
            Assert.Equal(3, await nodes[0].MetricAsync("actorsocket_cluster_members{status=\"up\"}"));
        }
        finally
        {
            await StopAsync(nodes);
        }
    }

    [Fact]
    public async Task After_kill_9_of_node_3_nodes_1_and_2_keep_exchanging_and_a_restarted_node_3_rejoins()
    {
        ClusterNode[] nodes = await ClusterNode.StartThreeAsync(QuickDowning);
        ClusterNode? restarted = null;
        try
        {
            using ClientWebSocket onNode1 = await SubscribeAsync(nodes[0], "k");
            using ClientWebSocket onNode2 = await SubscribeAsync(nodes[1], "k");
            using ClientWebSocket onNode3 = await SubscribeAsync(nodes[2], "k");

            await nodes[2].KillAsync();
            // Node 3's clients see their connection drop (no close frame: the process is gone).
            using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
            {
                await Assert.ThrowsAnyAsync<Exception>(() => EchoTests.ReceiveMessageAsync(onNode3, deadline.Token));
            }

            Assert.NotEqual(WebSocketState.Open, onNode3.State);

            // Published right after the kill, while node 3 is still a member (unreachable, then downed).
            using ClientWebSocket publisher1 = await ConnectAsync(nodes[0]);
            using ClientWebSocket publisher2 = await ConnectAsync(nodes[1]);
            for (int i = 0; i < 500; i++)
            {
                await PublishAsync(publisher1, "k", (1_000_000 + i).ToString(CultureInfo.InvariantCulture));
                await PublishAsync(publisher2, "k", (2_000_000 + i).ToString(CultureInfo.InvariantCulture));
            }

            await ExpectFromPublishersAsync(onNode1, 500, 1_000_000, 2_000_000);
            await ExpectFromPublishersAsync(onNode2, 500, 1_000_000, 2_000_000);

            // The survivors down node 3 (keep-majority) and a new node 3 joins and receives again.
            await nodes[0].WaitUntilMemberAsync(2);
            await nodes[1].WaitUntilMemberAsync(2);
            restarted = await ClusterNode.StartAsync(nodes[0].Address, QuickDowning);
            await restarted.WaitUntilMemberAsync(3);
            using ClientWebSocket onNewNode3 = await SubscribeAsync(restarted, "k");
            for (int i = 0; i < 100; i++)
            {
                await PublishAsync(publisher1, "k", (1_000_000 + i).ToString(CultureInfo.InvariantCulture));
            }

            await ExpectFromPublishersAsync(onNewNode3, 100, 1_000_000);
            Assert.Contains("is unreachable", nodes[0].Output + nodes[1].Output, StringComparison.Ordinal);
        }
        finally
        {
            await StopAsync([.. nodes, .. restarted is null ? Array.Empty<ClusterNode>() : [restarted]]);
        }
    }

    [Fact]
    public async Task A_burst_of_100k_publishes_across_nodes_arrives_everywhere_and_no_node_is_marked_unreachable()
    {
        ClusterNode[] nodes = await ClusterNode.StartThreeAsync();
        try
        {
            var subscribers = new List<ClientWebSocket>();
            foreach (ClusterNode node in nodes)
            {
                subscribers.Add(await SubscribeAsync(node, "burst"));
            }

            // One publisher per node, each sending its share as fast as the socket takes it (no acks).
            const int perPublisher = 33_334;
            int[] bases = [1_000_000, 2_000_000, 3_000_000];
            var publishers = new List<ClientWebSocket>();
            foreach (ClusterNode node in nodes)
            {
                publishers.Add(await ConnectAsync(node));
            }

            Task[] receiving = [.. subscribers.Select(s => ExpectFromPublishersAsync(s, perPublisher, bases))];
            await Task.WhenAll(publishers.Select(async (publisher, p) =>
            {
                for (int i = 0; i < perPublisher; i++)
                {
                    await PublishAsync(publisher, "burst", (bases[p] + i).ToString(CultureInfo.InvariantCulture));
                }
            }));
            await Task.WhenAll(receiving).WaitAsync(TimeSpan.FromSeconds(120));

            foreach (ClusterNode node in nodes)
            {
                Assert.Equal(0, await node.MetricAsync("actorsocket_cluster_unreachable_events_total"));
                Assert.Equal(2 * perPublisher, await node.MetricAsync("actorsocket_cluster_messages_received_total"));
                Assert.DoesNotContain("is unreachable", node.Output, StringComparison.Ordinal);
            }

            foreach (ClientWebSocket client in subscribers.Concat(publishers))
            {
                client.Dispose();
            }
        }
        finally
        {
            await StopAsync(nodes);
        }
    }

    [Fact]
    public async Task A_node_that_has_not_joined_answers_healthz_503_naming_its_status()
    {
        // Its only seed does not exist: the node runs but is no member, so its publishes would stay local.
        await using ClusterNode lonely = await ClusterNode.StartAsync("127.0.0.1:9");
        (int status, string member) = await lonely.HealthAsync();
        Assert.Equal(503, status);
        Assert.StartsWith(lonely.Address + " ", member, StringComparison.Ordinal);
        Assert.DoesNotContain(" up;", member, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_nodes_share_topics_over_TLS_remoting_and_a_plain_node_cannot_join_them()
    {
        string directory = Directory.CreateTempSubdirectory("actorsocket-remoting-tls-").FullName;
        var nodes = new List<ClusterNode>();
        try
        {
            string pfx = Path.Combine(directory, "node.pfx");
            using (var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256))
            {
                var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=actorsocket-node", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
                using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
                await File.WriteAllBytesAsync(pfx, certificate.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pfx, "pw"));
            }

            string[] tls = ["--set", $"actorsocket.cluster.tls {{ certificate = \"{pfx}\", password = \"pw\", suppress-validation = on }}"];
            nodes.Add(await ClusterNode.StartAsync(null, tls));
            nodes.Add(await ClusterNode.StartAsync(nodes[0].Address, tls));
            await nodes[0].WaitUntilMemberAsync(2);
            await nodes[1].WaitUntilMemberAsync(2);

            using ClientWebSocket subscriber = await SubscribeAsync(nodes[1], "secure");
            using ClientWebSocket publisher = await ConnectAsync(nodes[0]);
            await PublishAsync(publisher, "secure", "7");
            Assert.Equal(7, (await ReceiveAsync(subscriber)).GetProperty("data").GetInt32());

            // A node speaking plain TCP to the TLS seed fails to associate and never becomes a member.
            Assert.StartsWith("akka.ssl.tcp://", nodes[0].Address, StringComparison.Ordinal);
            await using ClusterNode plain = await ClusterNode.StartAsync(nodes[0].Address[(nodes[0].Address.IndexOf('@') + 1)..]); // host:port, plain TCP
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!plain.Output.Contains("has failed", StringComparison.Ordinal) && !plain.Output.Contains("gated", StringComparison.Ordinal))
            {
                Assert.True(DateTime.UtcNow < deadline, "no failed association logged:\n" + plain.Output);
                await Task.Delay(100);
            }

            (int status, _) = await plain.HealthAsync();
            Assert.Equal(503, status);
            await nodes[0].WaitUntilMemberAsync(2);
        }
        finally
        {
            await StopAsync(nodes);
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task StopAsync(IEnumerable<ClusterNode> nodes) =>
        await Task.WhenAll(nodes.Select(node => node.DisposeAsync().AsTask()));

    private static async Task<ClientWebSocket> ConnectAsync(ClusterNode node)
    {
        var client = new ClientWebSocket();
        await client.ConnectAsync(new Uri(node.Url + "/pubsub"), CancellationToken.None);
        return client;
    }

    /// <summary>Connects and subscribes; the ack means publishes on any node reach it from now on.</summary>
    private static async Task<ClientWebSocket> SubscribeAsync(ClusterNode node, string topic)
    {
        ClientWebSocket client = await ConnectAsync(node);
        await PubSubTests.SubscribeAsync(client, topic);
        return client;
    }

    private static Task PublishAsync(WebSocket client, string topic, string data) =>
        PubSubTests.SendAsync(client, $$"""{"op":"publish","topic":"{{topic}}","data":{{data}}}""");

    private static Task<JsonElement> ReceiveAsync(WebSocket client) => PubSubTests.ReceiveAsync(client);

    /// <summary>
    /// Reads <paramref name="count"/> messages from each publisher (data = base + sequence number),
    /// interleaved in any way, each publisher's in order.
    /// </summary>
    private static async Task ExpectFromPublishersAsync(WebSocket subscriber, int count, params int[] bases)
    {
        var next = bases.ToDictionary(b => b, _ => 0);
        for (int received = 0; received < count * bases.Length; received++)
        {
            int data = (await ReceiveAsync(subscriber)).GetProperty("data").GetInt32();
            int publisher = bases.Single(b => data >= b && data < b + 1_000_000);
            Assert.Equal(publisher + next[publisher], data);
            next[publisher]++;
        }
    }
}
