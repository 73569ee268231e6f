using Akka.Actor;

namespace ActorSocket.Actors.Connections;

/// <summary>
/// The receive side of one connection, in pull mode: it waits for data without holding a buffer,
/// reads one chunk into a pooled array, hands it to the connection actor, and reads again only
/// after the actor calls <see cref="Continue"/>. A slow actor therefore back-pressures its own TCP
/// window, never its mailbox or the heap.
/// </summary>
/// <remarks>The array in <see cref="ConnectionActor.Received"/> belongs to the actor until it returns it to the pool.</remarks>
internal sealed class ReadLoop
{

    private readonly ITransport _transport;
    private readonly IActorRef _target;
    private readonly int _bufferSize;
    private readonly CancellationToken _cancellation;
    private readonly SemaphoreSlim _permit = new(0, 1);

    public ReadLoop(ITransport transport, IActorRef target, int bufferSize, CancellationToken cancellation)
    {
        _transport = transport;
        _target = target;
        _bufferSize = bufferSize;
        _cancellation = cancellation;
    }

    public void Start() => _ = RunAsync();

    /// <summary>Allows the next read; call once per <see cref="ConnectionActor.Received"/>.</summary>
    public void Continue() => _permit.Release();

    private async Task RunAsync()
    {
        try
        {
            while (true)
            {
                // Wait for readability with an empty buffer: an idle connection holds no receive buffer.
                // No token on the socket operations: a registration per pending read costs memory on every
                // idle connection. The actor ends reads by cancelling _cancellation and disposing the transport.
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
                    _target.Tell(new ConnectionActor.ReadEnded(null));
                    return;
                }

                _target.Tell(new ConnectionActor.Received(buffer, count));
                await _permit.WaitAsync(_cancellation).ConfigureAwait(false);
            }
        }
        catch (Exception) when (_cancellation.IsCancellationRequested)
        {
            // The connection ended and stopped reading (the transport was disposed under the read).
        }
        catch (Exception error)
        {
            _target.Tell(new ConnectionActor.ReadEnded(error));
        }
    }
}
