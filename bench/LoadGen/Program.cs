using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using LoadGen;

// loadgen: echo, idle and fanout load against a WebSocket server on loopback, each ending in one
// "RESULT key=value ..." line. Every phase has a deadline; nothing runs past --seconds/--hold plus drain.
const string Usage = """
    loadgen echo   ws://127.0.0.1:8080/echo   --conns N --msg-size B --inflight K --seconds S [--server-pid PID]
    loadgen idle   ws://127.0.0.1:8080/echo   --conns N --hold S [--src-ips 127.0.0.1-127.0.0.40] [--server-pid PID]
    loadgen fanout ws://127.0.0.1:8080/pubsub[,ws://...] --subs N --pubs P --window W --seconds S --msg-size B
                   [--topic T] [--rate R] [--server-pid PID[,PID...]]
      fanout spreads subscribers round-robin over the URLs (one per cluster node); publishers use the first.
    loadgen zfanout ws://127.0.0.1:8080/pubsub --subs N --rate R --seconds S --msg-size B [--topic T] [--server-pid PID]
    loadgen recover ws://127.0.0.1:8080/pubsub --subs N --missed M --topic room:T --msg-size B [--server-pid PID]
    loadgen presence ws://127.0.0.1:8080/pubsub[,ws://...] --subs N --topic room:T --seconds S [--server-pid PID]
      N clients join a topic with presence at once: time until a watcher saw every join, its frames, memory, queries/s.
    loadgen pfanout (the same, subscribers not compressing)
      ClientWebSocket subscribers that negotiate permessage-deflate (zfanout) or not (pfanout).
    """;

if (args.Length < 2)
{
    Console.Error.WriteLine(Usage);
    return 2;
}

var options = Options.Parse(args.Skip(2).ToArray());
string mode = args[0];
Uri[] urls = args[1].Split(',').Select(u => new Uri(u)).ToArray();
try
{
    return mode switch
    {
        "echo" => await Modes.EchoAsync(urls[0], options),
        "idle" => await Modes.IdleAsync(urls[0], options),
        "fanout" => await Modes.FanoutAsync(urls, options),
        "zfanout" => await CompressedFanout.RunAsync(urls[0], options, deflate: true),
        "pfanout" => await CompressedFanout.RunAsync(urls[0], options, deflate: false),
        "recover" => await Recovery.RunAsync(urls[0], options),
        "presence" => await Presence.RunAsync(urls, options),
        _ => throw new ArgumentException("unknown mode " + mode),
    };
}
catch (ArgumentException error)
{
    Console.Error.WriteLine("loadgen: " + error.Message + "\n" + Usage);
    return 2;
}

namespace LoadGen
{
    /// <summary>Command-line options.</summary>
    public sealed class Options
    {
        public int Conns { get; private set; } = 100;
        public int MsgSize { get; private set; } = 32;
        public int Inflight { get; private set; } = 8;
        public double Seconds { get; private set; } = 10;
        public double Hold { get; private set; } = 20;
        public int Subs { get; private set; } = 1000;
        public int Pubs { get; private set; } = 1;
        public int Window { get; private set; } = 64;
        public double Rate { get; private set; }
        public string Topic { get; private set; } = "bench";
        public int Missed { get; private set; } = 100;
        public IReadOnlyList<int> ServerPids { get; private set; } = [];
        public IReadOnlyList<IPAddress> SourceIps { get; private set; } = [];

        public static Options Parse(string[] args)
        {
            var o = new Options();
            for (int i = 0; i < args.Length; i++)
            {
                string a = args[i];
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException(a + " needs a value");
                int Int() => int.Parse(Next(), CultureInfo.InvariantCulture);
                double Double() => double.Parse(Next(), CultureInfo.InvariantCulture);
                switch (a)
                {
                    case "--conns":
                        o.Conns = Int();
                        break;
                    case "--msg-size":
                        o.MsgSize = Int();
                        break;
                    case "--inflight":
                        o.Inflight = Int();
                        break;
                    case "--seconds":
                        o.Seconds = Double();
                        break;
                    case "--hold":
                        o.Hold = Double();
                        break;
                    case "--subs":
                        o.Subs = Int();
                        break;
                    case "--pubs":
                        o.Pubs = Int();
                        break;
                    case "--window":
                        o.Window = Int();
                        break;
                    case "--rate":
                        o.Rate = Double();
                        break;
                    case "--topic":
                        o.Topic = Next();
                        break;
                    case "--missed":
                        o.Missed = Int();
                        break;
                    case "--server-pid":
                        o.ServerPids = Next().Split(',').Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToList();
                        break;
                    case "--src-ips":
                        o.SourceIps = ParseRange(Next());
                        break;
                    default:
                        throw new ArgumentException("unknown option " + a);
                }
            }

            if (o.Seconds > 600 || o.Hold > 600 || o.Conns > 100_000 || o.Subs > 100_000 || o.Missed is < 1 or > 10_000)
            {
                throw new ArgumentException("bounded runs only: at most 600 s, 100,000 connections and 10,000 missed messages");
            }

            return o;
        }

        private static List<IPAddress> ParseRange(string range)
        {
            string[] ends = range.Split('-');
            byte[] first = IPAddress.Parse(ends[0]).GetAddressBytes();
            byte[] last = IPAddress.Parse(ends.Length > 1 ? ends[1] : ends[0]).GetAddressBytes();
            if (first[0] != 127 || first[0] != last[0] || first[1] != last[1] || first[2] != last[2])
            {
                throw new ArgumentException("--src-ips takes a range in one 127.x.y.0/24, like 127.0.0.1-127.0.0.40");
            }

            return Enumerable.Range(first[3], last[3] - first[3] + 1).Select(b => new IPAddress([first[0], first[1], first[2], (byte)b])).ToList();
        }
    }

    /// <summary>CPU and memory of this process and of the servers under load, from /proc.</summary>
    public sealed class Usage
    {
        private readonly IReadOnlyList<int> _servers;
        private readonly long _serverTicks;
        private readonly TimeSpan _ownCpu;
        private readonly long _started = Stopwatch.GetTimestamp();

        public Usage(IReadOnlyList<int> servers)
        {
            _servers = servers;
            _serverTicks = servers.Sum(ServerTicks);
            _ownCpu = Process.GetCurrentProcess().TotalProcessorTime;
        }

        public static long RssKiB(int pid)
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
                }
            }

            return 0;
        }

        /// <summary>client_cpu_pct and server_cpu_pct (100 = one core busy) since construction.</summary>
        public string Report()
        {
            double wall = Stopwatch.GetElapsedTime(_started).TotalSeconds;
            double own = (Process.GetCurrentProcess().TotalProcessorTime - _ownCpu).TotalSeconds / wall * 100;
            string text = F("client_cpu_pct", own);
            if (_servers.Count > 0)
            {
                text += " " + F("server_cpu_pct", (_servers.Sum(ServerTicks) - _serverTicks) / 100.0 / wall * 100);
            }

            return text;
        }

        public static string F(string key, double value) => key + "=" + value.ToString("0.#", CultureInfo.InvariantCulture);

        private static long ServerTicks(int pid)
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        }
    }

    /// <summary>The three load modes.</summary>
    public static class Modes
    {
        private static readonly double TicksToMicroseconds = 1_000_000.0 / Stopwatch.Frequency;

        private static long MicrosecondsSince(long timestamp) => (long)((Stopwatch.GetTimestamp() - timestamp) * TicksToMicroseconds);

        private static async Task<Client[]> ConnectAllAsync(int count, Func<int, Uri> url, IReadOnlyList<IPAddress> sources, int bufferSize, TimeSpan deadline)
        {
            using var timeout = new CancellationTokenSource(deadline);
            var clients = new Client[count];
            using var gate = new SemaphoreSlim(200);
            await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
            {
                await gate.WaitAsync(timeout.Token);
                try
                {
                    clients[i] = await Client.ConnectAsync(url(i), sources.Count == 0 ? null : sources[i % sources.Count], bufferSize, timeout.Token);
                }
                finally
                {
                    gate.Release();
                }
            }));
            return clients;
        }

        public static async Task<int> EchoAsync(Uri url, Options o)
        {
            Client[] clients = await ConnectAllAsync(o.Conns, _ => url, o.SourceIps, 64 * 1024, TimeSpan.FromSeconds(60));
            var histogram = new Histogram();
            long received = 0;
            bool measuring = false;
            using var stop = new CancellationTokenSource();
            int payloadSize = Math.Max(o.MsgSize, 9);
            var loops = clients.Select(client =>
            {
                // K frames per connection; payload bytes 0-7 = send timestamp, byte 8 = slot. The echo
                // names its slot, whose frame is then stamped again and resent: no allocation per message.
                var frames = new byte[o.Inflight][];
                int offset = 0;
                for (int k = 0; k < o.Inflight; k++)
                {
                    var payload = new byte[payloadSize];
                    payload[8] = (byte)k;
                    frames[k] = Client.EncodeFrame(payload, out offset, first: 0x82); // binary: the stamp is not UTF-8
                }

                int payloadOffset = offset;
                int frameLength = frames[0].Length;
                var batch = new byte[frameLength * o.Inflight];
                var due = new Queue<int>();
                void Stamp(int slot)
                {
                    byte[] frame = frames[slot];
                    Client.Mask(frame, payloadOffset, 0, 8); // unmask the old stamp
                    BitConverter.TryWriteBytes(frame.AsSpan(payloadOffset, 8), Stopwatch.GetTimestamp());
                    Client.Mask(frame, payloadOffset, 0, 8);
                }

                return (client, frames, Start: (Func<Task>)(async () =>
                {
                    for (int k = 0; k < o.Inflight; k++)
                    {
                        Stamp(k);
                        await client.SendAsync(frames[k]);
                    }

                    await client.ReceiveLoopAsync(
                        payload =>
                        {
                            if (measuring)
                            {
                                histogram.Record(MicrosecondsSince(BitConverter.ToInt64(payload)));
                                Interlocked.Increment(ref received);
                            }

                            due.Enqueue(payload[8]);
                        },
                        stop.Token,
                        async () =>
                        {
                            // Every echo of this read is answered in one send.
                            int length = 0;
                            while (due.TryDequeue(out int slot))
                            {
                                Stamp(slot);
                                frames[slot].CopyTo(batch, length);
                                length += frameLength;
                            }

                            if (length > 0)
                            {
                                await client.SendAsync(batch.AsMemory(0, length), stop.Token);
                            }
                        });
                }));
            }).ToList();

            Task[] running = loops.Select(l => Task.Run(l.Start)).ToArray();
            await Task.Delay(TimeSpan.FromSeconds(Math.Min(2, o.Seconds / 5))); // warm-up, not counted
            var usage = new Usage(o.ServerPids);
            var watch = Stopwatch.StartNew();
            measuring = true;
            await Task.Delay(TimeSpan.FromSeconds(o.Seconds));
            measuring = false;
            double seconds = watch.Elapsed.TotalSeconds;
            long count = Interlocked.Read(ref received);
            string cpu = usage.Report();
            int open = clients.Count(c => !c.Closed);
            stop.Cancel();
            await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { });
            foreach (Client client in clients)
            {
                client.Dispose();
            }

            Console.WriteLine(string.Join(' ',
                "RESULT mode=echo",
                $"conns={o.Conns} msg_size={o.MsgSize} inflight={o.Inflight}",
                Usage.F("msgs_per_s", count / seconds),
                $"p50_us={histogram.Percentile(0.50)} p99_us={histogram.Percentile(0.99)} p999_us={histogram.Percentile(0.999)}",
                $"errors={o.Conns - open}",
                cpu));
            return 0;
        }

        public static async Task<int> IdleAsync(Uri url, Options o)
        {
            long before = o.ServerPids.Count > 0 ? Usage.RssKiB(o.ServerPids[0]) : 0;
            var watch = Stopwatch.StartNew();
            Client[] clients;
            try
            {
                clients = await ConnectAllAsync(o.Conns, _ => url, o.SourceIps, 512, TimeSpan.FromSeconds(120));
            }
            catch (Exception error)
            {
                Console.WriteLine("RESULT mode=idle conns=" + o.Conns + " error=\"" + error.Message.Replace('"', '\'') + "\"");
                return 1;
            }

            double connectSeconds = watch.Elapsed.TotalSeconds;
            using var stop = new CancellationTokenSource();
            var usage = new Usage(o.ServerPids);
            Task[] loops = clients.Select(c => c.IdleLoopAsync(stop.Token)).ToArray();
            await Task.Delay(TimeSpan.FromSeconds(o.Hold));
            int open = clients.Count(c => !c.Closed);
            long after = o.ServerPids.Count > 0 ? Usage.RssKiB(o.ServerPids[0]) : 0;
            string cpu = usage.Report();
            stop.Cancel();
            await Task.WhenAll(loops).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { });
            foreach (Client client in clients)
            {
                client.Dispose();
            }

            Console.WriteLine(string.Join(' ',
                "RESULT mode=idle",
                $"conns={o.Conns} open={open} hold_s={o.Hold}",
                Usage.F("connect_s", connectSeconds),
                o.ServerPids.Count > 0 ? $"server_rss_kb_before={before} server_rss_kb_after={after} " + Usage.F("kb_per_conn", open == 0 ? 0 : (after - before) / (double)open) : "kb_per_conn=n/a",
                cpu));
            return open == o.Conns ? 0 : 1;
        }

        public static async Task<int> FanoutAsync(Uri[] urls, Options o)
        {
            int dataLength = Math.Max(o.MsgSize, 31); // "PP" publisher, 10-digit sequence, 19-digit timestamp, padding
            Client[] subscribers = await ConnectAllAsync(o.Subs, i => urls[i % urls.Length], o.SourceIps, 256 * 1024, TimeSpan.FromSeconds(120));
            Client[] publishers = await ConnectAllAsync(o.Pubs, _ => urls[0], [], 64 * 1024, TimeSpan.FromSeconds(30));

            // Subscribe each and wait for its ack: from then on every publish reaches it, on any node.
            using var stop = new CancellationTokenSource();
            var histogram = new Histogram();
            long received = 0;
            long receivedInWindow = 0;
            bool measuring = false;
            var acked = new TaskCompletionSource[subscribers.Length];
            var ring = new int[o.Pubs][];
            var windows = new SemaphoreSlim[o.Pubs];
            int ringSize = o.Window * 4;
            for (int p = 0; p < o.Pubs; p++)
            {
                ring[p] = new int[ringSize];
                windows[p] = new SemaphoreSlim(o.Window, o.Window);
            }

            Task[] receiving = subscribers.Select((client, i) =>
            {
                acked[i] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                return Task.Run(() => client.ReceiveLoopAsync(
                    payload =>
                    {
                        if (payload.StartsWith("{\"op\":\"ack\""u8))
                        {
                            acked[i].TrySetResult();
                            return;
                        }

                        // ...,"data":"PPSSSSSSSSSSTTTTTTTTTTTTTTTTTTT..."}
                        ReadOnlySpan<byte> data = payload.Slice(payload.Length - 2 - dataLength, dataLength);
                        Utf8Parser.TryParse(data[..2], out int publisher, out _);
                        Utf8Parser.TryParse(data.Slice(2, 10), out long sequence, out _);
                        Utf8Parser.TryParse(data.Slice(12, 19), out long stamp, out _);
                        Interlocked.Increment(ref received);
                        if (measuring)
                        {
                            Interlocked.Increment(ref receivedInWindow);
                            histogram.Record(MicrosecondsSince(stamp));
                        }

                        // Deliver mode: a message leaves its publisher's window once every subscriber has it.
                        if (Interlocked.Increment(ref ring[publisher][sequence % ringSize]) == o.Subs)
                        {
                            Volatile.Write(ref ring[publisher][sequence % ringSize], 0);
                            windows[publisher].Release();
                        }
                    },
                    stop.Token));
            }).ToArray();

            for (int i = 0; i < subscribers.Length; i++)
            {
                await subscribers[i].SendAsync(Client.EncodeFrame(Encoding.UTF8.GetBytes($"{{\"op\":\"subscribe\",\"topic\":\"{o.Topic}\",\"id\":1}}"), out _));
            }

            await Task.WhenAll(acked.Select(a => a.Task)).WaitAsync(TimeSpan.FromSeconds(60));

            long[] published = new long[o.Pubs];
            bool publishing = true;
            var usage = new Usage(o.ServerPids);
            Task[] publishing_ = Enumerable.Range(0, o.Pubs).Select(p => Task.Run(async () =>
            {
                string prefix = $"{{\"op\":\"publish\",\"topic\":\"{o.Topic}\",\"data\":\"";
                byte[] payload = Encoding.UTF8.GetBytes(prefix + new string('x', dataLength) + "\"}");
                byte[] frame = Client.EncodeFrame(payload, out int offset);
                int dataOffset = prefix.Length;
                var pace = Stopwatch.StartNew();
                double perPublisherRate = o.Rate / o.Pubs;
                for (long sequence = 0; Volatile.Read(ref publishing); sequence++)
                {
                    if (!await windows[p].WaitAsync(TimeSpan.FromSeconds(5)))
                    {
                        break; // a lost message would hold the window forever: stop and report the loss
                    }

                    if (perPublisherRate > 0)
                    {
                        double due = sequence / perPublisherRate;
                        double wait = due - pace.Elapsed.TotalSeconds;
                        if (wait > 0.001)
                        {
                            await Task.Delay(TimeSpan.FromSeconds(wait));
                        }
                    }

                    // Restamp the frame in place: unmask, write, mask again.
                    Client.Mask(frame, offset, dataOffset, 31);
                    Span<byte> data = frame.AsSpan(offset + dataOffset, 31);
                    Utf8Formatter.TryFormat(p, data[..2], out _, new System.Buffers.StandardFormat('D', 2));
                    Utf8Formatter.TryFormat(sequence, data.Slice(2, 10), out _, new System.Buffers.StandardFormat('D', 10));
                    Utf8Formatter.TryFormat(Stopwatch.GetTimestamp(), data.Slice(12, 19), out _, new System.Buffers.StandardFormat('D', 19));
                    Client.Mask(frame, offset, dataOffset, 31);
                    await publishers[p].SendAsync(frame);
                    published[p] = sequence + 1;
                }
            })).ToArray();

            await Task.Delay(TimeSpan.FromSeconds(Math.Min(2, o.Seconds / 5))); // warm-up, not counted
            var watch = Stopwatch.StartNew();
            measuring = true;
            await Task.Delay(TimeSpan.FromSeconds(o.Seconds));
            measuring = false;
            double seconds = watch.Elapsed.TotalSeconds;
            long inWindow = Interlocked.Read(ref receivedInWindow);
            string cpu = usage.Report();
            Volatile.Write(ref publishing, false);
            await Task.WhenAll(publishing_).WaitAsync(TimeSpan.FromSeconds(15));

            // Drain: everything published must arrive at every subscriber.
            long expected = published.Sum() * o.Subs;
            var drain = Stopwatch.StartNew();
            while (Interlocked.Read(ref received) < expected && drain.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(50);
            }

            long lost = expected - Interlocked.Read(ref received);
            stop.Cancel();
            foreach (Client client in subscribers.Concat(publishers))
            {
                client.Dispose();
            }

            await Task.WhenAll(receiving).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { });
            Console.WriteLine(string.Join(' ',
                "RESULT mode=fanout",
                $"nodes={urls.Length} subs={o.Subs} pubs={o.Pubs} window={o.Window} msg_size={o.MsgSize}",
                Usage.F("deliveries_per_s", inWindow / seconds),
                $"p50_us={histogram.Percentile(0.50)} p99_us={histogram.Percentile(0.99)} p999_us={histogram.Percentile(0.999)}",
                $"published={published.Sum()} lost={lost}",
                cpu));
            return lost == 0 ? 0 : 1;
        }
    }
}
