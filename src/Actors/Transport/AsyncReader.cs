using Akka.Actor;

namespace ActorSocket.Actors.Transport;

/// <summary>
/// The receive side of one connection in pull mode, over any <see cref="ITransport"/>: it waits for
/// data without holding a buffer, reads one chunk into a pooled array, sends it to the connection
/// actor, and reads again only once the actor's sink wants bytes. A slow actor therefore
/// back-pressures its own TCP window, never its mailbox or the heap.
/// </summary>
internal sealed class AsyncReader : TransportReader
{
    private readonly ITransport _transport;
    private readonly IActorRef _owner;
    private readonly int _bufferSize;
    private readonly CancellationTokenSource _cancellation = new();
    private readonly SemaphoreSlim _permit = new(0, 1);
    private bool _held;

    public AsyncReader(ITransport transport, IActorRef owner, int bufferSize)
    {
        _transport = transport;
        _owner = owner;
        _bufferSize = bufferSize;
    }

    public void Start() => _ = RunAsync();

    public override void OnSignal(ReadSignal signal, IReadSink sink)
    {
        switch (signal)
        {
            case Received received:
                try
                {
                    sink.OnBytes(received.Buffer.AsSpan(0, received.Count));
                }
                finally
                {
                    ConnectionBuffers.Pool.Return(received.Buffer);
                }

                _held = true;
                if (sink.WantsBytes)
                {
                    Resume();
                }

                break;
            case Ended ended:
                sink.OnReadEnded(ended.Error);
                break;
        }
    }

    public override void Resume()
    {
        // One permit per chunk delivered: a resume without a chunk held back has nothing to release.
        if (_held && !_cancellation.IsCancellationRequested)
        {
            _held = false;
            _permit.Release();
        }
    }

    public override void Stop()
    {
        _cancellation.Cancel(); // not disposed: a read loop may still be registering on its token
    }

    private async Task RunAsync()
    {
        CancellationToken cancellation = _cancellation.Token;
        try
        {
            while (true)
            {
                // Wait for readability with an empty buffer: an idle connection holds no receive buffer.
                // No token on the socket operations: a registration per pending read costs memory on every
                // idle connection. The actor ends reads with Stop and by disposing the transport.
                await _transport.ReadAsync(Memory<byte>.Empty, CancellationToken.None).ConfigureAwait(false);
                byte[] buffer = ConnectionBuffers.Pool.Rent(_bufferSize);
                int count;
                try
                {
                    count = await _transport.ReadAsync(buffer, CancellationToken.None).ConfigureAwait(false);
                }
                catch
                {
                    ConnectionBuffers.Pool.Return(buffer);
                    throw;
                }

                if (count == 0)
                {
                    ConnectionBuffers.Pool.Return(buffer);
                    _owner.Tell(new Ended(null));
                    return;
                }

                _owner.Tell(new Received(buffer, count)); // the array is the actor's until OnSignal returns it
                await _permit.WaitAsync(cancellation).ConfigureAwait(false);
            }
        }
        catch (Exception) when (cancellation.IsCancellationRequested)
        {
            // The connection stopped reading (the transport was disposed under the read).
        }
        catch (Exception error)
        {
            _owner.Tell(new Ended(error));
        }
    }

    /// <summary>A chunk read into a pooled array.</summary>
    private sealed class Received(byte[] buffer, int count) : ReadSignal
    {
        public byte[] Buffer { get; } = buffer;

        public int Count { get; } = count;
    }

    /// <summary>The peer ended its side (null) or the read failed.</summary>
    private sealed class Ended(Exception? error) : ReadSignal
    {
        public Exception? Error { get; } = error;
    }
}
