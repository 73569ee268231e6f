using System.Globalization;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ActorSocket.Gateway.Tests;

/// <summary>
/// Durable history with real daemons and real stores: a SQLite file across SIGTERM and kill -9, a
/// store that cannot be opened, and a PostgreSQL server that stops mid-run and comes back.
/// </summary>
public sealed class DurableHistoryTests : IDisposable
{
    private const string Durable = "actorsocket.pubsub.namespaces.d { history { size = 2000, durable = on } }";
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "actorsocket-durable-" + Guid.NewGuid().ToString("N")[..12]);

    public DurableHistoryTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    internal static async Task<ClientWebSocket> ConnectAsync(string url)
    {
        var client = new ClientWebSocket();
        await client.ConnectAsync(new Uri(url + "/pubsub"), CancellationToken.None);
        return client;
    }

    internal static async Task<JsonElement> RequestAsync(WebSocket client, string json, TimeSpan? timeout = null)
    {
        await PubSubTests.SendAsync(client, json);
        return await NextAsync(client, timeout);
    }

    internal static async Task<JsonElement> NextAsync(WebSocket client, TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        (_, byte[] data) = await EchoTests.ReceiveMessageAsync(client, deadline.Token);
        return JsonDocument.Parse(data).RootElement.Clone();
    }

    /// <summary>Publishes <paramref name="count"/> messages (data = their number from <paramref name="first"/>) in a pipeline of 64, every one acknowledged.</summary>
    internal static async Task PublishAcknowledgedAsync(WebSocket publisher, string topic, int first, int count)
    {
        int sent = 0, acked = 0;
        while (acked < count)
        {
            while (sent < count && sent - acked < 64)
            {
                await PubSubTests.SendAsync(publisher, $$"""{"op":"publish","topic":"{{topic}}","data":{{first + sent}},"id":{{first + sent}}}""");
                sent++;
            }

            JsonElement answer = await NextAsync(publisher);
            Assert.True(answer.GetProperty("op").GetString() == "ack", "a publish was not acknowledged: " + answer);
            acked++;
        }
    }

    /// <summary>Reads <paramref name="count"/> message frames: their offsets and data.</summary>
    internal static async Task<List<(long Offset, long Data)>> ReadMessagesAsync(WebSocket client, int count)
    {
        var messages = new List<(long, long)>();
        while (messages.Count < count)
        {
            JsonElement message = await NextAsync(client);
            Assert.Equal("message", message.GetProperty("op").GetString());
            messages.Add((message.GetProperty("offset").GetInt64(), message.GetProperty("data").GetInt64()));
        }

        return messages;
    }

    private string[] Settings(params string[] more) =>
        ["actorsocket.data-directory = \"" + Path.Combine(_directory, "data") + "\"", Durable, .. more];

    [Theory]
    [InlineData("SIGTERM")]
    [InlineData("kill -9")]
    public async Task A_restarted_daemon_continues_the_durable_stream_and_a_reconnecting_client_gets_exactly_what_it_missed(string stop)
    {
        DaemonProcess daemon = await DaemonProcess.StartAsync(Settings());
        string epoch;
        long seen;
        try
        {
            using ClientWebSocket subscriber = await ConnectAsync(daemon.Url);
            JsonElement ack = await RequestAsync(subscriber, """{"op":"subscribe","topic":"d:news","id":1}""");
            epoch = ack.GetProperty("epoch").GetString()!;
            Assert.Equal(0, ack.GetProperty("offset").GetInt64());

            using ClientWebSocket publisher = await ConnectAsync(daemon.Url);
            await PublishAcknowledgedAsync(publisher, "d:news", 1, 1000);

            // The subscriber had read 300 messages when its server went away.
            List<(long Offset, long Data)> live = await ReadMessagesAsync(subscriber, 300);
            Assert.Equal(Enumerable.Range(1, 300).Select(i => ((long)i, (long)i)), live);
            seen = live[^1].Offset;
            if (stop == "kill -9")
            {
                await daemon.KillAsync(); // after every publish was acknowledged: each one is in the store
            }
        }
        finally
        {
            await daemon.DisposeAsync(); // SIGTERM
        }

        await using DaemonProcess restarted = await DaemonProcess.StartAsync(Settings());
        using ClientWebSocket back = await ConnectAsync(restarted.Url);
        JsonElement recovered = await RequestAsync(back, $$$"""{"op":"subscribe","topic":"d:news","id":2,"since":{"epoch":"{{{epoch}}}","offset":{{{seen}}}}}""");
        Assert.Equal((epoch, 1000L, true), (recovered.GetProperty("epoch").GetString(), recovered.GetProperty("offset").GetInt64(), recovered.GetProperty("recovered").GetBoolean()));
        Assert.Equal(Enumerable.Range(301, 700).Select(i => ((long)i, (long)i)), await ReadMessagesAsync(back, 700));

        // The stream goes on from where it was: the next publish is offset 1001 of the same epoch.
        using ClientWebSocket publisherAgain = await ConnectAsync(restarted.Url);
        await PublishAcknowledgedAsync(publisherAgain, "d:news", 1001, 1);
        Assert.Equal([(1001L, 1001L)], await ReadMessagesAsync(back, 1));
    }

    [Fact]
    public async Task The_dotnet_client_recovers_a_durable_topic_across_kill_9_and_a_restart_without_loss()
    {
        DaemonProcess daemon = await DaemonProcess.StartAsync(Settings());
        await using var proxy = new DroppingProxy(daemon.Port); // the client's one address, whichever port the daemon gets
        var options = new ActorSocket.Client.ActorSocketClientOptions { ReconnectFloor = TimeSpan.FromMilliseconds(50), ReconnectCap = TimeSpan.FromMilliseconds(500) };
        options.Urls.Add(new Uri("ws://127.0.0.1:" + proxy.Port + "/pubsub"));
        await using var client = new ActorSocket.Client.ActorSocketClient(options);
        var resubscribed = new TaskCompletionSource<bool?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await client.ConnectAsync();
        ActorSocket.Client.Subscription news = await client.SubscribeAsync("d:client");
        news.Resubscribed += (_, recovered) => resubscribed.TrySetResult(recovered);
        await using IAsyncEnumerator<ActorSocket.Client.ClientMessage> messages = news.GetAsyncEnumerator();
        var offsets = new List<long>();
        try
        {
            using ClientWebSocket publisher = await ConnectAsync(daemon.Url);
            await PublishAcknowledgedAsync(publisher, "d:client", 1, 500);
            while (offsets.Count < 100)
            {
                Assert.True(await messages.MoveNextAsync());
                offsets.Add(messages.Current.Offset!.Value);
            }

            await daemon.KillAsync(); // every publish acknowledged, so written
        }
        finally
        {
            await daemon.DisposeAsync();
        }

        await using DaemonProcess restarted = await DaemonProcess.StartAsync(Settings());
        proxy.Retarget(restarted.Port);
        Assert.True(await resubscribed.Task.WaitAsync(TimeSpan.FromSeconds(60)));
        using ClientWebSocket again = await ConnectAsync(restarted.Url);
        await PublishAcknowledgedAsync(again, "d:client", 501, 10);
        while (offsets.Count < 510)
        {
            Assert.True(await messages.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
            offsets.Add(messages.Current.Offset!.Value);
        }

        Assert.Equal(Enumerable.Range(1, 510).Select(i => (long)i), offsets);
        Assert.Equal(0, news.Gaps);
    }

    [Fact]
    public async Task A_wildcard_subscriber_gets_each_message_of_durable_topics_once_with_the_offsets_the_store_gave()
    {
        await using DaemonProcess daemon = await DaemonProcess.StartAsync(Settings("actorsocket.pubsub.namespaces.d.wildcards = on"));
        using ClientWebSocket watcher = await ConnectAsync(daemon.Url);
        using ClientWebSocket byName = await ConnectAsync(daemon.Url);
        using ClientWebSocket publisher = await ConnectAsync(daemon.Url);
        Assert.Equal("ack", (await RequestAsync(watcher, """{"op":"subscribe","topic":"d:feed.>","id":1}""")).GetProperty("op").GetString());
        Assert.Equal(0, (await RequestAsync(byName, """{"op":"subscribe","topic":"d:feed.a","id":1}""")).GetProperty("offset").GetInt64());

        // Written by the topic's owner first, then to the pattern's subscriber and the topic's, each once.
        await PublishAcknowledgedAsync(publisher, "d:other", 1, 5);
        await PublishAcknowledgedAsync(publisher, "d:feed.a", 1, 20);
        List<(long Offset, long Data)> expected = [.. Enumerable.Range(1, 20).Select(n => ((long)n, (long)n))];
        Assert.Equal(expected, await ReadMessagesAsync(watcher, 20));
        Assert.Equal(expected, await ReadMessagesAsync(byName, 20));
        await PublishAcknowledgedAsync(publisher, "d:feed.a", 21, 1);
        Assert.Equal([(21L, 21L)], await ReadMessagesAsync(watcher, 1)); // nothing of d:other, no second copy
    }

    [Fact]
    public async Task A_store_that_cannot_be_opened_answers_durable_publishes_unavailable_keeps_every_other_topic_and_recovers_when_it_can()
    {
        // The data directory lies under a regular file: it cannot be created.
        string blocked = Path.Combine(_directory, "blocked");
        await File.WriteAllTextAsync(blocked, "not a directory");
        await using DaemonProcess daemon = await DaemonProcess.StartAsync(
            "actorsocket.data-directory = \"" + Path.Combine(blocked, "data") + "\"", Durable, "actorsocket.history-store.retry = 200ms", "actorsocket.history-store.timeout = 2s");
        using ClientWebSocket client = await ConnectAsync(daemon.Url);

        JsonElement refused = await RequestAsync(client, """{"op":"publish","topic":"d:news","data":1,"id":1}""");
        Assert.Equal(("error", "unavailable", 1), (refused.GetProperty("op").GetString(), refused.GetProperty("code").GetString(), refused.GetProperty("id").GetInt32()));
        refused = await RequestAsync(client, """{"op":"subscribe","topic":"d:news","id":2}""");
        Assert.Equal("unavailable", refused.GetProperty("code").GetString());
        JsonElement other = await RequestAsync(client, """{"op":"publish","topic":"lobby","data":1,"id":3}""");
        Assert.Equal("ack", other.GetProperty("op").GetString());

        // Healthy for everything else, but it says so; the failure is one line, without a stack trace.
        string health = await RawClient.HttpAsync(daemon.Port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200", health, StringComparison.Ordinal);
        Assert.Contains("X-History-Store: unavailable", health, StringComparison.Ordinal);
        Assert.Equal(0, await MetricAsync(daemon.Port, "actorsocket_history_store_up"));
        Assert.Matches("history store (.* )?cannot be (reached|opened)", daemon.Output);
        Assert.DoesNotContain("   at ", daemon.Output, StringComparison.Ordinal);

        // The directory can be made now: the topic takes publishes again, from offset 1.
        File.Delete(blocked);
        Directory.CreateDirectory(Path.Combine(blocked, "data"));
        JsonElement answer = await RetryUntilAcknowledgedAsync(client, """{"op":"subscribe","topic":"d:news","id":4}""", TimeSpan.FromSeconds(30));
        Assert.Equal(0, answer.GetProperty("offset").GetInt64());
        using ClientWebSocket publisher = await ConnectAsync(daemon.Url);
        await PublishAcknowledgedAsync(publisher, "d:news", 1, 1);
        Assert.Equal([(1L, 1L)], await ReadMessagesAsync(client, 1));
        health = await RawClient.HttpAsync(daemon.Port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.Contains("X-History-Store: ok", health, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rows_the_store_keeps_marked_deleted_are_removed_and_the_stream_still_continues_after_a_restart()
    {
        string[] settings = Settings("actorsocket.history-store.cleanup-interval = 500ms", "actorsocket.pubsub.namespaces.d.history.size = 100");
        string file = Path.Combine(_directory, "data", "history.db");
        string epoch;
        await using (DaemonProcess daemon = await DaemonProcess.StartAsync(settings))
        {
            using ClientWebSocket publisher = await ConnectAsync(daemon.Url);
            await PublishAcknowledgedAsync(publisher, "d:trim", 1, 150);
            JsonElement position = await RequestAsync(publisher, """{"op":"history","topic":"d:trim","limit":0,"id":1}""");
            epoch = position.GetProperty("epoch").GetString()!;

            // Publishing on until the topic saved a snapshot (a busy topic does at most once a second)
            // and the store trimmed the writes behind it.
            int next = 151;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (Count(file, "SELECT COUNT(*) FROM snapshot") == 0)
            {
                Assert.True(DateTime.UtcNow < deadline, "no snapshot was saved");
                await PublishAcknowledgedAsync(publisher, "d:trim", next++, 1);
                await Task.Delay(100); // paces the publishes; the store's state decides when to stop
            }

            // The cleanup removes what the trim left marked deleted: only live rows stay.
            deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (Count(file, "SELECT COUNT(*) FROM journal WHERE deleted = 1") > 0)
            {
                Assert.True(DateTime.UtcNow < deadline, "rows marked deleted were never removed");
                await Task.Delay(100);
            }

            Assert.True(Count(file, "SELECT COUNT(*) FROM journal") < next - 1, "the journal was not trimmed");
            await PublishAcknowledgedAsync(publisher, "d:trim", 1001, 1);
        }

        // Restarted: the same stream, whose writes go on without a sequence number taken twice.
        await using DaemonProcess restarted = await DaemonProcess.StartAsync(settings);
        using ClientWebSocket client = await ConnectAsync(restarted.Url);
        JsonElement recovered = await RequestAsync(client, $$$"""{"op":"subscribe","topic":"d:trim","id":2,"since":{"epoch":"{{{epoch}}}","offset":100}}""");
        Assert.Equal((epoch, true), (recovered.GetProperty("epoch").GetString(), recovered.GetProperty("recovered").GetBoolean()));
        long last = recovered.GetProperty("offset").GetInt64();
        List<(long Offset, long Data)> replay = await ReadMessagesAsync(client, (int)(last - 100));
        Assert.Equal(Enumerable.Range(101, (int)(last - 100)).Select(offset => (long)offset), replay.Select(message => message.Offset));
        Assert.Equal(1001, replay[^1].Data);
        using ClientWebSocket publisherAgain = await ConnectAsync(restarted.Url);
        await PublishAcknowledgedAsync(publisherAgain, "d:trim", 1002, 1);
        Assert.Equal([(last + 1, 1002L)], await ReadMessagesAsync(client, 1));
    }

    private static long Count(string file, string sql)
    {
        if (!File.Exists(file))
        {
            return 0;
        }

        using var connection = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=" + file + ";Mode=ReadOnly;Pooling=False");
        connection.Open();
        using Microsoft.Data.Sqlite.SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        try
        {
            return (long)command.ExecuteScalar()!;
        }
        catch (Microsoft.Data.Sqlite.SqliteException)
        {
            return 0; // the tables are made with the first write
        }
    }

    /// <summary>Sends <paramref name="request"/> until it is acknowledged (each <c>unavailable</c> answer is one more try); the acknowledgement.</summary>
    internal static async Task<JsonElement> RetryUntilAcknowledgedAsync(WebSocket client, string request, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            JsonElement answer = await RequestAsync(client, request);
            if (answer.GetProperty("op").GetString() == "ack")
            {
                return answer;
            }

            Assert.Equal("unavailable", answer.GetProperty("code").GetString());
            Assert.True(DateTime.UtcNow < deadline, "still unavailable after " + timeout + ": " + answer);
            await Task.Delay(100); // paces the tries; the daemon's answer, not the delay, decides the outcome
        }
    }

    internal static async Task<double> MetricAsync(int port, string name)
    {
        string response = await RawClient.HttpAsync(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        Match match = Regex.Match(response, "^" + Regex.Escape(name) + " (\\S+)$", RegexOptions.Multiline);
        return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : double.NaN;
    }
}
