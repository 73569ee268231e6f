using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace LoadGen;

/// <summary>
/// Presence at scale: a watcher on each node (one per URL) subscribes to a topic of a namespace with
/// presence and join/leave, then --subs clients subscribe at once, spread over the URLs. Measures the
/// time until every watcher has seen every client's join (after the last client's acknowledgement,
/// too, per node), the frames that took, the server's memory per
/// present client, and then presence-stats and presence questions per second (one client, one
/// question at a time, for --seconds each). The clients read everything they are sent.
/// </summary>
public static class Presence
{
    public static async Task<int> RunAsync(Uri[] urls, Options o)
    {
        // One watcher per node, subscribed before the clients: each counts the joins its node tells it of.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(300));
        var watchers = new ClientWebSocket[urls.Length];
        var watcherIds = new HashSet<string>(StringComparer.Ordinal);
        for (int node = 0; node < urls.Length; node++)
        {
            watchers[node] = new ClientWebSocket();
            await watchers[node].ConnectAsync(urls[node], deadline.Token);
            await SendAsync(watchers[node], "{\"op\":\"connect\",\"id\":0}", deadline.Token);
            watcherIds.Add((await ReceiveAsync(watchers[node], deadline.Token)).GetProperty("client").GetString()!);
            await SendAsync(watchers[node], "{\"op\":\"subscribe\",\"topic\":\"" + o.Topic + "\",\"id\":0}", deadline.Token);
            JsonElement ack;
            do
            {
                ack = await ReceiveAsync(watchers[node], deadline.Token); // an earlier watcher's join may come first
            }
            while (ack.GetProperty("op").GetString() is "join" or "presence-diff");

            if (ack.GetProperty("op").GetString() != "ack")
            {
                throw new InvalidOperationException("subscribe refused: " + ack);
            }
        }

        int pid = o.ServerPids.Count > 0 ? o.ServerPids[0] : 0;
        long rssBefore = pid > 0 ? Usage.RssKiB(pid) : 0;
        var usage = new Usage(o.ServerPids);
        byte[] subscribe = Client.EncodeFrame(Encoding.UTF8.GetBytes("{\"op\":\"subscribe\",\"topic\":\"" + o.Topic + "\",\"id\":1}"), out _);
        var clock = Stopwatch.StartNew();
        long lastAck = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
        var acked = new CountdownEvent(o.Subs);

        // The clients: connect, subscribe, note the acknowledgement's time, then read until the end.
        var clients = Enumerable.Range(0, o.Subs).Select(i => Task.Run(async () =>
        {
            Client? client = null;
            try
            {
                client = await Client.ConnectAsync(urls[i % urls.Length], null, 256 * 1024, deadline.Token);
                await client.SendAsync(subscribe, deadline.Token);
                bool first = true;
                await client.ReceiveLoopAsync(
                    payload =>
                    {
                        if (first && payload.StartsWith("{\"op\":\"ack\""u8))
                        {
                            first = false;
                            long now = clock.ElapsedTicks;
                            long seen;
                            while ((seen = Interlocked.Read(ref lastAck)) < now && Interlocked.CompareExchange(ref lastAck, now, seen) != seen)
                            {
                            }

                            acked.Signal();
                        }
                    },
                    stop.Token);
            }
            catch (Exception error) when (error is System.Net.Sockets.SocketException or OperationCanceledException or IOException)
            {
            }
            finally
            {
                client?.Dispose();
            }
        })).ToList();

        // Each watcher counts the clients' joins it is told of (not the other watchers'), and the frames they took.
        var counted = await Task.WhenAll(watchers.Select(watcher => Task.Run(async () =>
        {
            var joined = new HashSet<string>(StringComparer.Ordinal);
            int frames = 0;
            while (joined.Count < o.Subs)
            {
                JsonElement frame = await ReceiveAsync(watcher, deadline.Token);
                frames++;
                IEnumerable<JsonElement> joins = frame.GetProperty("op").GetString() switch
                {
                    "join" => [frame],
                    "presence-diff" => frame.GetProperty("joins").EnumerateArray(),
                    _ => [],
                };
                foreach (JsonElement join in joins)
                {
                    string id = join.GetProperty("client").GetString()!;
                    if (!watcherIds.Contains(id))
                    {
                        joined.Add(id);
                    }
                }
            }

            return (Complete: clock.Elapsed.TotalMilliseconds, Frames: frames);
        })));

        double complete = counted.Max(c => c.Complete);
        int frames = counted[0].Frames;
        acked.Wait(deadline.Token);
        ClientWebSocket watcher = watchers[0];
        double lastAckMs = Interlocked.Read(ref lastAck) * 1000.0 / Stopwatch.Frequency;
        string cpu = usage.Report();
        long rssAfter = pid > 0 ? Usage.RssKiB(pid) : 0;

        // Questions, one at a time.
        double statsPerSecond = await AskAsync(watcher, "{\"op\":\"presence-stats\",\"topic\":\"" + o.Topic + "\",\"id\":2}", o.Seconds, deadline.Token);
        double listsPerSecond = await AskAsync(watcher, "{\"op\":\"presence\",\"topic\":\"" + o.Topic + "\",\"id\":3}", o.Seconds, deadline.Token);

        stop.Cancel();
        await Task.WhenAll(clients);
        foreach (ClientWebSocket each in watchers)
        {
            each.Dispose();
        }

        long naive = (long)o.Subs * (o.Subs - 1) / 2;
        Console.WriteLine(string.Join(' ',
            "RESULT mode=presence",
            $"clients={o.Subs} nodes={urls.Length} topic={o.Topic}",
            Usage.F("complete_ms", complete),
            Usage.F("after_last_ack_ms", complete - lastAckMs),
            "after_last_ack_ms_per_node=" + string.Join(',', counted.Select(c => (c.Complete - lastAckMs).ToString("F1", System.Globalization.CultureInfo.InvariantCulture))),
            $"watcher_frames={frames} naive_frames={naive + o.Subs}",
            Usage.F("rss_kib_per_client", pid > 0 ? (rssAfter - rssBefore) / (double)o.Subs : 0),
            Usage.F("stats_per_s", statsPerSecond),
            Usage.F("lists_per_s", listsPerSecond),
            cpu));
        return 0;
    }

    private static async Task<double> AskAsync(ClientWebSocket client, string question, double seconds, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        int answered = 0;
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            await SendAsync(client, question, cancellation);
            JsonElement answer;
            do
            {
                answer = await ReceiveAsync(client, cancellation); // presence frames may come between
            }
            while (answer.GetProperty("op").GetString() is not ("presence" or "presence-stats" or "error"));

            answered++;
        }

        return answered / clock.Elapsed.TotalSeconds;
    }

    private static Task SendAsync(ClientWebSocket client, string json, CancellationToken cancellation) =>
        client.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, cancellation);

    private static Task<JsonElement> ReceiveAsync(ClientWebSocket client, CancellationToken cancellation) => Recovery.ReceiveAsync(client, cancellation);
}
