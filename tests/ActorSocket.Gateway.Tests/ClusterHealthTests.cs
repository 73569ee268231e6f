using System.Net.WebSockets;
using ActorSocket.Protocol;

namespace ActorSocket.Gateway.Tests;

/// <summary>
/// A node cut off from the majority says so: /healthz 503 with the reason, new WebSocket clients
/// refused with 503, and once the split-brain resolver downs it, its clients told to reconnect
/// elsewhere (1012) instead of left connected and silent.
/// </summary>
[Collection(nameof(ClusterTests))]
public sealed class ClusterHealthTests
{
    [Fact]
    public async Task A_node_cut_off_from_the_majority_stops_serving_and_tells_its_clients_to_go_elsewhere()
    {
        // Downed 4 s after the others are unreachable: long enough to see the minority state first.
        ClusterNode[] nodes = await ClusterNode.StartThreeAsync("--set", "akka.cluster.split-brain-resolver.stable-after = 4s");
        try
        {
            using var client = new ClientWebSocket();
            await client.ConnectAsync(new Uri(nodes[0].Url + "/pubsub"), CancellationToken.None);
            await PubSubTests.SubscribeAsync(client, "lobby");
            Assert.Equal(200, (await nodes[0].HealthAsync()).Status);

            // Nodes 2 and 3 freeze: node 1 reaches one member of three.
            await nodes[1].FreezeAsync();
            await nodes[2].FreezeAsync();
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            (int status, string member) = await nodes[0].HealthAsync();
            while (status == 200)
            {
                Assert.True(DateTime.UtcNow < deadline, "node 1 kept answering 200: " + member);
                await Task.Delay(100);
                (status, member) = await nodes[0].HealthAsync();
            }

            Assert.Equal(503, status);
            Assert.Contains("minority: reaches 1 of 3 members", member, StringComparison.Ordinal);
            string upgrade = await RawClient.HttpAsync(nodes[0].Port, "GET /pubsub HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
            Assert.StartsWith("HTTP/1.1 503 ", upgrade);
            Assert.Contains("connect to another", upgrade, StringComparison.Ordinal);

            // The resolver downs the minority: the connected client is told to reconnect elsewhere.
            using var closing = new CancellationTokenSource(TimeSpan.FromSeconds(40));
            var buffer = new byte[4096];
            WebSocketReceiveResult result;
            do
            {
                result = await client.ReceiveAsync(buffer, closing.Token);
            }
            while (result.MessageType != WebSocketMessageType.Close);

            Assert.Equal((WebSocketCloseStatus)(int)CloseCode.ServiceRestart, result.CloseStatus);
            Assert.Contains("reconnect to another", result.CloseStatusDescription, StringComparison.Ordinal);
        }
        finally
        {
            await nodes[1].ThawAsync();
            await nodes[2].ThawAsync();
            await Task.WhenAll(nodes.Select(node => node.DisposeAsync().AsTask()));
        }
    }
}
