using System.Net.WebSockets;
using System.Text.Json;
using static ActorSocket.Gateway.Tests.DurableHistoryTests;

namespace ActorSocket.Gateway.Tests;

/// <summary>
/// Durable history on a real PostgreSQL server: the database stopping and coming back under a
/// running daemon, and a rolling restart of a three-node cluster with clients on every node.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresHistoryTests(PostgresServer postgres)
{
    private const string Durable = "actorsocket.pubsub.namespaces.d { history { size = 5000, durable = on } }";

    private static string[] Store(string connectionString) =>
    [
        "actorsocket.history-store.provider = postgresql",
        "actorsocket.history-store.connection-string = \"" + connectionString + "\"",
        "actorsocket.history-store.timeout = 3s",
        "actorsocket.history-store.retry = 500ms",
        Durable,
    ];

    [Fact]
    public async Task The_database_stopping_mid_run_gets_unavailable_answers_not_a_crash_and_the_topic_resumes_when_it_is_back()
    {
        string connection = await postgres.CreateDatabaseAsync();
        await using DaemonProcess daemon = await DaemonProcess.StartAsync(Store(connection));
        using ClientWebSocket subscriber = await ConnectAsync(daemon.Url);
        JsonElement ack = await RequestAsync(subscriber, """{"op":"subscribe","topic":"d:orders","id":1}""");
        string epoch = ack.GetProperty("epoch").GetString()!;
        using ClientWebSocket publisher = await ConnectAsync(daemon.Url);
        await PublishAcknowledgedAsync(publisher, "d:orders", 1, 100);
        Assert.Equal(Enumerable.Range(1, 100).Select(i => ((long)i, (long)i)), await ReadMessagesAsync(subscriber, 100));
        Assert.DoesNotContain(connection, daemon.Output, StringComparison.Ordinal); // the connection string is never printed

        await postgres.StopAsync();
        try
        {
            // Every publish gets an answer, within the store's timeout: unavailable; nothing is delivered.
            for (int i = 0; i < 5; i++)
            {
                JsonElement refused = await RequestAsync(publisher, $$"""{"op":"publish","topic":"d:orders","data":-1,"id":{{1000 + i}}}""", TimeSpan.FromSeconds(15));
                Assert.Equal(("error", "unavailable", 1000 + i), (refused.GetProperty("op").GetString(), refused.GetProperty("code").GetString(), refused.GetProperty("id").GetInt32()));
            }

            // Topics without history still work; /healthz stays 200 and says what is wrong.
            JsonElement other = await RequestAsync(publisher, """{"op":"publish","topic":"lobby","data":1,"id":2000}""");
            Assert.Equal("ack", other.GetProperty("op").GetString());
            string health = await RawClient.HttpAsync(daemon.Port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
            Assert.StartsWith("HTTP/1.1 200", health, StringComparison.Ordinal);
            Assert.Contains("X-History-Store: unavailable", health, StringComparison.Ordinal);
            Assert.Equal(0, await MetricAsync(daemon.Port, "actorsocket_history_store_up"));

            // The history kept in memory is still read.
            JsonElement history = await RequestAsync(publisher, """{"op":"history","topic":"d:orders","limit":3,"id":3000}""");
            Assert.Equal((epoch, 100L), (history.GetProperty("epoch").GetString(), history.GetProperty("offset").GetInt64()));
        }
        finally
        {
            await postgres.StartAsync();
        }

        // Back: the same stream goes on. Whatever was in doubt and did reach the store is delivered
        // in order before the next message; the subscriber sees contiguous offsets.
        JsonElement resumed = await RetryUntilAcknowledgedAsync(publisher, """{"op":"publish","topic":"d:orders","data":101,"id":4000}""", TimeSpan.FromSeconds(60));
        Assert.Equal("ack", resumed.GetProperty("op").GetString());
        List<(long Offset, long Data)> after = [];
        while (after.Count == 0 || after[^1].Data != 101)
        {
            after.AddRange(await ReadMessagesAsync(subscriber, 1));
        }

        Assert.Equal(Enumerable.Range(101, after.Count).Select(offset => (long)offset), after.Select(message => message.Offset));
        Assert.All(after, message => Assert.Contains(message.Data, new long[] { -1, 101 })); // in doubt, kept after all: delivered once, in order
        Assert.Equal(1, await MetricAsync(daemon.Port, "actorsocket_history_store_up"));
        Assert.DoesNotContain("   at ", daemon.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rolling_restart_of_three_nodes_loses_no_acknowledged_message_and_every_subscriber_recovers_it_exactly_once_in_order()
    {
        const string Topic = "d:rolling";
        string connection = await postgres.CreateDatabaseAsync();
        string[] arguments = [.. Store(connection).SelectMany(setting => new[] { "--set", setting })];
        ClusterNode[] nodes = await ClusterNode.StartThreeAsync(arguments);
        var subscribers = new Subscriber[3];
        var publishers = new ClientWebSocket[3];
        var acknowledged = new HashSet<string>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                subscribers[i] = await Subscriber.StartAsync(nodes[i].Url, Topic, since: null);
                publishers[i] = await ConnectAsync(nodes[i].Url);
            }

            string epoch = subscribers[0].Epoch;
            await PublishAsync([0, 1, 2], round: 0);
            for (int restarting = 0; restarting < 3; restarting++)
            {
                // The other two nodes publish while this one leaves (its owners move to them and
                // recover from the database), and while it is gone.
                int[] others = [.. Enumerable.Range(0, 3).Where(node => node != restarting)];
                Task publishing = PublishAsync(others, round: 10 + restarting);
                await nodes[restarting].DisposeAsync(); // SIGTERM: the node leaves the cluster
                await subscribers[restarting].DisconnectedAsync();
                publishers[restarting].Dispose();
                await publishing;

                nodes[restarting] = await ClusterNode.StartAsync(nodes[others[0]].Address, arguments);
                foreach (ClusterNode node in nodes)
                {
                    await node.WaitUntilMemberAsync(3);
                }

                // Its client comes back with the position it had.
                subscribers[restarting] = await Subscriber.StartAsync(nodes[restarting].Url, Topic, since: (epoch, subscribers[restarting].Last), previous: subscribers[restarting]);
                publishers[restarting] = await ConnectAsync(nodes[restarting].Url);
                await PublishAsync([0, 1, 2], round: 20 + restarting);
            }

            JsonElement position = await RequestAsync(publishers[0], $$"""{"op":"history","topic":"{{Topic}}","limit":0,"id":1}""");
            Assert.Equal(epoch, position.GetProperty("epoch").GetString());
            long last = position.GetProperty("offset").GetInt64();
            foreach (Subscriber subscriber in subscribers)
            {
                List<(long Offset, string Data)> received = await subscriber.ReadUntilAsync(last);
                Assert.Equal(Enumerable.Range(1, (int)last).Select(offset => (long)offset), received.Select(message => message.Offset));
                Assert.Subset(received.Select(message => message.Data).ToHashSet(), acknowledged);
                Assert.Equal(received.Count, received.Select(message => message.Data).Distinct().Count());
            }
        }
        finally
        {
            foreach (ClientWebSocket? client in publishers)
            {
                client?.Dispose();
            }

            foreach (Subscriber? subscriber in subscribers)
            {
                subscriber?.Dispose();
            }

            foreach (ClusterNode node in nodes)
            {
                await node.DisposeAsync();
            }
        }

        // Each publisher of the round publishes 20 messages; an acknowledged one is recorded (an
        // unavailable one, in doubt while an owner moved, may or may not be delivered: not counted).
        async Task PublishAsync(int[] from, int round) => await Task.WhenAll(from.Select(async node =>
        {
            for (int i = 0; i < 20; i++)
            {
                string data = "r" + round + "n" + node + "m" + i;
                JsonElement answer = await RequestAsync(publishers[node], $$"""{"op":"publish","topic":"{{Topic}}","data":"{{data}}","id":{{i}}}""", TimeSpan.FromSeconds(40));
                if (answer.GetProperty("op").GetString() == "ack")
                {
                    lock (acknowledged)
                    {
                        acknowledged.Add(data);
                    }
                }
                else
                {
                    Assert.Equal("unavailable", answer.GetProperty("code").GetString());
                }
            }
        }));
    }

    /// <summary>A subscriber that reads its connection in the background, keeping every message it received.</summary>
    private sealed class Subscriber : IDisposable
    {
        private readonly ClientWebSocket _client;
        private readonly List<(long Offset, string Data)> _received;
        private readonly Task _reading;

        private Subscriber(ClientWebSocket client, string epoch, List<(long, string)> received)
        {
            _client = client;
            Epoch = epoch;
            _received = received;
            _reading = Task.Run(ReadAsync);
        }

        public string Epoch { get; }

        public long Last
        {
            get
            {
                lock (_received)
                {
                    return _received.Count == 0 ? 0 : _received[^1].Offset;
                }
            }
        }

        public static async Task<Subscriber> StartAsync(string url, string topic, (string Epoch, long Offset)? since, Subscriber? previous = null)
        {
            ClientWebSocket client = await ConnectAsync(url);
            string request = since is { } position
                ? $$$"""{"op":"subscribe","topic":"{{{topic}}}","id":1,"since":{"epoch":"{{{position.Epoch}}}","offset":{{{position.Offset}}}}}"""
                : $$"""{"op":"subscribe","topic":"{{topic}}","id":1}""";
            JsonElement ack = await RequestAsync(client, request, TimeSpan.FromSeconds(40));
            Assert.True(ack.GetProperty("op").GetString() == "ack", "subscribe: " + ack);
            if (since is not null)
            {
                Assert.True(ack.GetProperty("recovered").GetBoolean(), "not recovered: " + ack);
            }

            return new Subscriber(client, ack.GetProperty("epoch").GetString()!, previous?._received ?? []);
        }

        /// <summary>Waits until the server closed this connection (its node stopped).</summary>
        public async Task DisconnectedAsync() => await _reading.WaitAsync(TimeSpan.FromSeconds(30));

        /// <summary>Waits until the message at <paramref name="offset"/> arrived; everything received.</summary>
        public async Task<List<(long Offset, string Data)>> ReadUntilAsync(long offset)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (Last < offset)
            {
                Assert.True(DateTime.UtcNow < deadline, "offset " + offset + " never arrived; last " + Last);
                Assert.False(_reading.IsCompleted, "the connection ended at offset " + Last);
                await Task.WhenAny(_reading, Task.Delay(50));
            }

            lock (_received)
            {
                return [.. _received];
            }
        }

        public void Dispose() => _client.Dispose();

        private async Task ReadAsync()
        {
            try
            {
                while (true)
                {
                    (WebSocketMessageType type, byte[] data) = await EchoTests.ReceiveMessageAsync(_client, CancellationToken.None);
                    if (type == WebSocketMessageType.Close)
                    {
                        return;
                    }

                    JsonElement message = JsonDocument.Parse(data).RootElement;
                    if (message.GetProperty("op").GetString() == "message")
                    {
                        lock (_received)
                        {
                            _received.Add((message.GetProperty("offset").GetInt64(), message.GetProperty("data").GetString()!));
                        }
                    }
                }
            }
            catch (Exception error) when (error is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The node went away without a close handshake.
            }
        }
    }
}
