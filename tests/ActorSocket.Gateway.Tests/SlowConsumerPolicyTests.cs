using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using ActorSocket.Protocol;
using static ActorSocket.Gateway.Tests.PubSubTests;

namespace ActorSocket.Gateway.Tests;

/// <summary>
/// The slow-consumer policies <c>drop-oldest</c> and <c>latest</c>: a subscriber that stops reading
/// loses messages, not its connection; the publisher and the other subscribers are not slowed.
/// </summary>
public class SlowConsumerPolicyTests
{
    private const string Config = """
        actorsocket {
          max-outbound-bytes = 65536
          pubsub.namespaces {
            feed { history.size = 100000, history.max-bytes = 268435456, slow-consumer = drop-oldest }
            ticker { slow-consumer = latest }
          }
        }
        """;

    [Theory]
    [InlineData("feed:prices", "drop-oldest")]
    [InlineData("ticker:prices", "latest")]
    public async Task A_subscriber_that_stops_reading_loses_messages_not_its_connection_and_nobody_else_waits(string topic, string policy)
    {
        await using TestServer server = await TestServer.StartAsync(Config);
        // The stalled one: a 4 KiB receive window, subscribed, then never read.
        using Socket stalled = await HostileClientTests.HandshakeAsync(server.Port, "/pubsub", receiveBuffer: 4096);
        await stalled.SendAsync(HostileClientTests.ClientFrames(codec => codec.SendText(Encoding.UTF8.GetBytes($$"""{"op":"subscribe","topic":"{{topic}}","id":1}"""))));
        using var fast = new ClientWebSocket();
        await fast.ConnectAsync(server.Uri("/pubsub"), CancellationToken.None);
        await SubscribeAsync(fast, topic);
        using var publisher = new ClientWebSocket();
        await publisher.ConnectAsync(server.Uri("/pubsub"), CancellationToken.None);
        var fastReceived = new List<int>();
        using var stopFast = new CancellationTokenSource();
        Task fastReading = Task.Run(async () =>
        {
            // A subscriber that keeps up: it reads all the time.
            while (!stopFast.IsCancellationRequested)
            {
                (_, byte[] data) = await EchoTests.ReceiveMessageAsync(fast, stopFast.Token);
                using JsonDocument message = JsonDocument.Parse(data);
                lock (fastReceived)
                {
                    fastReceived.Add(message.RootElement.GetProperty("data").GetProperty("n").GetInt32());
                }
            }
        });

        // Publish until the policy has dropped for the stalled one (a bounded number of tries); every
        // publish is acknowledged and the fast subscriber gets every message, in order, meanwhile.
        string padding = new('p', 1000);
        var drops = server.Server.Metrics.SlowConsumerDrops.WithLabels(policy);
        int published = 0;
        while (drops.Value == 0)
        {
            Assert.True(published < 50_000, "the policy never dropped anything");
            for (int i = 0; i < 100; i++, published++)
            {
                await SendAsync(publisher, $$"""{"op":"publish","topic":"{{topic}}","data":{"n":{{published}},"pad":"{{padding}}"},"id":{{published}}}""");
            }

            for (int i = published - 100; i < published; i++)
            {
                Assert.Equal(i, (await ReceiveAsync(publisher)).GetProperty("id").GetInt32());
            }
        }

        // The fast subscriber got every message, in order.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            lock (fastReceived)
            {
                if (fastReceived.Count >= published)
                {
                    Assert.Equal(Enumerable.Range(0, published), fastReceived);
                    break;
                }
            }

            Assert.True(DateTime.UtcNow < deadline, "the fast subscriber fell behind");
            await Task.Delay(20);
        }

        await stopFast.CancelAsync();
        await fastReading.ContinueWith(_ => { }, TaskScheduler.Default);
        Assert.Equal(0, server.Server.Metrics.SlowConsumerCloses.Value);

        // Now it reads: what it gets is in order, with a gap, and ends with the newest message.
        using var codec = new WebSocketCodec(Role.Client);
        byte[] buffer = new byte[64 * 1024];
        var received = new List<(int N, long Offset)>();
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (received.Count == 0 || received[^1].N != published - 1)
        {
            if (codec.TryReadEvent(out WebSocketEvent ev))
            {
                Assert.Equal(WebSocketEventKind.Text, ev.Kind);
                using JsonDocument frame = JsonDocument.Parse(ev.Payload.ToArray());
                if (frame.RootElement.GetProperty("op").GetString() == "message")
                {
                    received.Add((frame.RootElement.GetProperty("data").GetProperty("n").GetInt32(), frame.RootElement.TryGetProperty("offset", out JsonElement offset) ? offset.GetInt64() : 0));
                }

                continue;
            }

            int read = await stalled.ReceiveAsync(buffer, SocketFlags.None, patience.Token);
            Assert.True(read > 0, "the server closed the stalled subscriber");
            codec.ReceiveData(buffer.AsSpan(0, read));
        }

        Assert.True(received.Count < published, "nothing was dropped");
        Assert.Equal(received.Select(m => m.N).Order(), received.Select(m => m.N)); // in order, each once
        Assert.Equal(received.Count, received.Select(m => m.N).Distinct().Count());
        if (policy == "drop-oldest")
        {
            // The client sees the gap in the offsets (offset n + 1 is message n).
            Assert.All(received, m => Assert.Equal(m.N + 1, m.Offset));
        }
    }
}
