using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace LoadGen;

/// <summary>
/// Recovery after a mass reconnect: a topic with history receives --missed messages while
/// --subs clients are away, then all of them connect at once and subscribe with "since" their last
/// position. Measures the time until every client has its acknowledgement (recovered:true) and every
/// missed message, in order, exactly once; a client that got anything else counts as failed.
/// </summary>
public static class Recovery
{
    public static async Task<int> RunAsync(Uri url, Options o)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        using var publisher = new ClientWebSocket();
        await publisher.ConnectAsync(url, deadline.Token);

        // The position the clients had when they went away.
        JsonElement position = await RequestAsync(publisher, "{\"op\":\"history\",\"topic\":\"" + o.Topic + "\",\"limit\":0,\"id\":0}", deadline.Token);
        string epoch = position.GetProperty("epoch").GetString()!;
        long since = position.GetProperty("offset").GetInt64();
        string text = new('x', Math.Max(1, o.MsgSize));
        for (int i = 1; i <= o.Missed; i++)
        {
            JsonElement ack = await RequestAsync(publisher, "{\"op\":\"publish\",\"topic\":\"" + o.Topic + "\",\"data\":\"" + text + "\",\"id\":" + i + "}", deadline.Token);
            if (ack.GetProperty("op").GetString() != "ack")
            {
                throw new InvalidOperationException("publish refused: " + ack);
            }
        }

        var usage = new Usage(o.ServerPids);
        byte[] subscribe = Client.EncodeFrame(Encoding.UTF8.GetBytes("{\"op\":\"subscribe\",\"topic\":\"" + o.Topic + "\",\"id\":1,\"since\":{\"epoch\":\"" + epoch + "\",\"offset\":" + since + "}}"), out _);
        byte[] offsetKey = "\"offset\":"u8.ToArray();
        var clock = Stopwatch.StartNew();

        // Our raw client (no JSON document per message): the clients' own CPU must not set the figure.
        double[] done = await Task.WhenAll(Enumerable.Range(0, o.Subs).Select(_ => Task.Run(async () =>
        {
            Client? client = null;
            try
            {
                client = await Client.ConnectAsync(url, null, 64 * 1024, deadline.Token);
                await client.SendAsync(subscribe, deadline.Token);
                long expected = since + 1;
                bool acked = false, failed = false;
                double at = -1;
                using var finished = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
                await client.ReceiveLoopAsync(
                    payload =>
                    {
                        if (!acked)
                        {
                            // The acknowledgement comes first, and says the missed messages follow.
                            acked = true;
                            failed |= !payload.StartsWith("{\"op\":\"ack\""u8) || payload.IndexOf("\"recovered\":true"u8) < 0;
                        }
                        else
                        {
                            // {"op":"message","topic":...,"offset":N,"data":...}: each offset once, in order.
                            int key = payload.IndexOf(offsetKey);
                            failed |= key < 0 || !System.Buffers.Text.Utf8Parser.TryParse(payload[(key + offsetKey.Length)..], out long offset, out _) || offset != expected;
                            expected++;
                        }

                        if (failed || expected > since + o.Missed)
                        {
                            at = failed ? -1 : clock.Elapsed.TotalMilliseconds;
                            finished.Cancel();
                        }
                    },
                    finished.Token);
                return at;
            }
            catch (Exception error) when (error is System.Net.Sockets.SocketException or OperationCanceledException or IOException)
            {
                return -1;
            }
            finally
            {
                client?.Dispose();
            }
        })));
        string cpu = usage.Report();
        double[] recovered = [.. done.Where(ms => ms >= 0).Order()];
        int failed = done.Length - recovered.Length;
        double Percentile(double p) => recovered.Length == 0 ? 0 : recovered[(int)Math.Min(recovered.Length - 1, Math.Ceiling(p * recovered.Length) - 1)];
        Console.WriteLine(string.Join(' ',
            "RESULT mode=recover",
            $"clients={o.Subs} missed={o.Missed} topic={o.Topic}",
            Usage.F("all_recovered_ms", recovered.Length == 0 ? 0 : recovered[^1]),
            Usage.F("p50_ms", Percentile(0.50)),
            Usage.F("p99_ms", Percentile(0.99)),
            $"failed={failed}",
            cpu));
        return failed == 0 ? 0 : 1;
    }

    private static async Task<JsonElement> RequestAsync(ClientWebSocket client, string json, CancellationToken cancellation)
    {
        await client.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, cancellation);
        return await ReceiveAsync(client, cancellation);
    }

    /// <summary>One whole text message as JSON (the buffer grows for long ones).</summary>
    internal static async Task<JsonElement> ReceiveAsync(ClientWebSocket client, CancellationToken cancellation)
    {
        byte[] buffer = new byte[64 * 1024];
        int count = 0;
        while (true)
        {
            ValueWebSocketReceiveResult result = await client.ReceiveAsync(buffer.AsMemory(count), cancellation);
            count += result.Count;
            if (result.EndOfMessage)
            {
                return JsonDocument.Parse(buffer.AsMemory(0, count)).RootElement.Clone();
            }

            if (count == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }
        }
    }
}
