using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;

namespace LoadGen;

/// <summary>
/// Fan-out to subscribers that negotiate permessage-deflate (or not, to compare), through .NET's
/// ClientWebSocket, which inflates what it receives: one publisher at a fixed rate, the server's
/// CPU per delivery beside the deliveries counted. wsload and the raw fan-out mode do not compress.
/// </summary>
public static class CompressedFanout
{
    public static async Task<int> RunAsync(Uri url, Options o, bool deflate)
    {
        if (o.Rate <= 0)
        {
            throw new ArgumentException("zfanout needs --rate (publishes per second) > 0");
        }

        var subscribers = new ClientWebSocket[o.Subs];
        using var connecting = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        for (int i = 0; i < subscribers.Length; i++)
        {
            var client = new ClientWebSocket();
            if (deflate)
            {
                client.Options.DangerousDeflateOptions = new WebSocketDeflateOptions();
            }

            await client.ConnectAsync(url, connecting.Token);
            await client.SendAsync(Encoding.UTF8.GetBytes("{\"op\":\"subscribe\",\"topic\":\"" + o.Topic + "\",\"id\":1}"), WebSocketMessageType.Text, true, connecting.Token);
            subscribers[i] = client;
        }

        long received = 0;
        using var stop = new CancellationTokenSource();
        Task[] receiving = subscribers.Select(client => Task.Run(async () =>
        {
            byte[] buffer = new byte[64 * 1024];
            try
            {
                while (true)
                {
                    ValueWebSocketReceiveResult result = await client.ReceiveAsync(buffer.AsMemory(), stop.Token);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return;
                    }

                    if (result.EndOfMessage && buffer.AsSpan(0, result.Count).IndexOf("\"message\""u8) >= 0)
                    {
                        Interlocked.Increment(ref received);
                    }
                }
            }
            catch (Exception error) when (error is OperationCanceledException or WebSocketException)
            {
            }
        })).ToArray();

        // Chat-like JSON of --msg-size bytes: words, not one repeated byte, so it compresses as text does.
        string[] words = ["hello", "room", "message", "from", "user", "the", "meeting", "starts", "at", "noon", "see", "you"];
        var text = new StringBuilder();
        for (int i = 0; text.Length < o.MsgSize; i++)
        {
            text.Append(words[(i * 7) % words.Length]).Append(' ');
        }

        using var publisher = new ClientWebSocket();
        await publisher.ConnectAsync(url, connecting.Token);
        var usage = new Usage(o.ServerPids);
        var clock = Stopwatch.StartNew();
        long published = 0;
        while (clock.Elapsed.TotalSeconds < o.Seconds)
        {
            long due = (long)(clock.Elapsed.TotalSeconds * o.Rate);
            for (; published < due; published++)
            {
                byte[] publish = Encoding.UTF8.GetBytes("{\"op\":\"publish\",\"topic\":\"" + o.Topic + "\",\"data\":{\"n\":" + published + ",\"text\":\"" + text.ToString(0, o.MsgSize) + "\"}}");
                await publisher.SendAsync(publish, WebSocketMessageType.Text, true, CancellationToken.None);
            }

            await Task.Delay(1);
        }

        string cpu = usage.Report();
        long expected = published * o.Subs;
        var drain = Stopwatch.StartNew();
        while (Interlocked.Read(ref received) < expected && drain.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(50);
        }

        long got = Interlocked.Read(ref received);
        await stop.CancelAsync();
        await Task.WhenAll(receiving).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { });
        foreach (ClientWebSocket client in subscribers)
        {
            client.Dispose();
        }

        Console.WriteLine(string.Join(' ',
            deflate ? "RESULT mode=zfanout" : "RESULT mode=pfanout",
            $"subs={o.Subs} rate={o.Rate} msg_size={o.MsgSize} published={published}",
            Usage.F("deliveries_per_s", got / clock.Elapsed.TotalSeconds),
            $"lost={expected - got}",
            cpu));
        return expected == got ? 0 : 1;
    }
}
