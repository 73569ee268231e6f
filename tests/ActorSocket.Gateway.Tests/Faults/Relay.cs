using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace ActorSocket.Gateway.Tests.Faults;

/// <summary>
/// A TCP relay that holds every chunk it forwards for <see cref="Delay"/>, both ways: the delay
/// between two nodes of a <see cref="NetworkLab"/> (this kernel has no netem). Each direction of
/// each connection keeps its order and is bounded (64 chunks of at most 16 KiB waiting: a sender
/// faster than the delay allows is slowed, as on a real link). Disposing closes every connection.
/// </summary>
internal sealed class Relay : IAsyncDisposable
{
    private const int ChunkBytes = 16 * 1024;
    private readonly TcpListener _listener;
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly List<Socket> _sockets = [];
    private readonly List<Task> _pumps = [];
    private readonly Task _accepting;
    private long _delayTicks;
    private long _bytes;

    /// <param name="listen">The address to listen on (a free port is taken).</param>
    /// <param name="target">Where every accepted connection is relayed to.</param>
    public Relay(IPAddress listen, IPEndPoint target)
    {
        _target = target;
        _listener = new TcpListener(listen, 0);
        _listener.Start();
        _accepting = Task.Run(AcceptAsync);
    }

    /// <summary>The port it listens on.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Bytes forwarded so far, both ways.</summary>
    public long BytesForwarded => Interlocked.Read(ref _bytes);

    /// <summary>How long each chunk is held before it is forwarded (zero: at once); applies to chunks read from now on.</summary>
    public TimeSpan Delay
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _delayTicks));
        set => Interlocked.Exchange(ref _delayTicks, value.Ticks);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_lock)
        {
            _sockets.ForEach(socket => socket.Dispose());
        }

        await _accepting;
        Task[] pumps;
        lock (_lock)
        {
            pumps = [.. _pumps];
        }

        await Task.WhenAll(pumps);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            lock (_lock)
            {
                _sockets.Add(client);
                _sockets.Add(server);
                _pumps.Add(Task.Run(() => ConnectAndPumpAsync(client, server)));
            }
        }
    }

    private async Task ConnectAndPumpAsync(Socket client, Socket server)
    {
        try
        {
            using var connecting = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            connecting.CancelAfter(TimeSpan.FromSeconds(10));
            await server.ConnectAsync(_target, connecting.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            client.Dispose();
            server.Dispose();
            return;
        }

        await Task.WhenAll(PumpAsync(client, server), PumpAsync(server, client));
        client.Dispose();
        server.Dispose();
    }

    /// <summary>Reads from <paramref name="from"/> and writes each chunk to <paramref name="to"/> once it is due.</summary>
    private async Task PumpAsync(Socket from, Socket to)
    {
        Channel<(long Due, byte[] Chunk)> held = Channel.CreateBounded<(long, byte[])>(64);
        Task writing = Task.Run(async () =>
        {
            try
            {
                await foreach ((long due, byte[] chunk) in held.Reader.ReadAllAsync(_stop.Token))
                {
                    TimeSpan wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait, _stop.Token); // the link's delay, not a wait for something
                    }

                    await to.SendAsync(chunk, _stop.Token);
                    Interlocked.Add(ref _bytes, chunk.Length);
                }

                to.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                from.Dispose(); // the other side is gone: so is this one
            }
        });
        try
        {
            byte[] buffer = new byte[ChunkBytes];
            while (true)
            {
                int read = await from.ReceiveAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    break;
                }

                long due = Stopwatch.GetTimestamp() + (long)(Delay.TotalSeconds * Stopwatch.Frequency);
                await held.Writer.WriteAsync((due, buffer[..read]), _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or ChannelClosedException)
        {
            to.Dispose();
        }

        held.Writer.TryComplete();
        await writing;
    }
}
