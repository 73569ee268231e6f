using Akka.Actor;

namespace ActorSocket.Actors.Transport;

/// <summary>
/// Where a transport's bytes go: the connection, called on its own actor's thread. This is the one
/// kind of input a connection sees, whatever the read strategy under it.
/// </summary>
internal interface IReadSink
{
    /// <summary>Whether the connection takes bytes now; false pauses reading until <see cref="TransportReader.Resume"/>.</summary>
    bool WantsBytes { get; }

    /// <summary>Bytes arrived. The span is valid only during the call.</summary>
    void OnBytes(ReadOnlySpan<byte> data);

    /// <summary>The peer ended its side (<paramref name="error"/> null), or reading failed.</summary>
    void OnReadEnded(Exception? error);
}

/// <summary>
/// A message a reader sends its connection actor; the actor hands it back to
/// <see cref="TransportReader.OnSignal"/> on its own thread without looking inside.
/// </summary>
internal abstract class ReadSignal
{
}

/// <summary>
/// The read side of one connection, in one of two strategies: <see cref="ReadinessReader"/> (Linux,
/// plain TCP: the actor reads the socket itself when epoll says it has data) or
/// <see cref="AsyncReader"/> (TLS, other platforms, any <see cref="ITransport"/>: an asynchronous
/// read loop). Either way the connection gets <see cref="IReadSink.OnBytes"/> and
/// <see cref="IReadSink.OnReadEnded"/> on its own thread, holds no receive buffer while idle, and
/// back-pressures its client through TCP when it stops wanting bytes.
/// </summary>
internal abstract class TransportReader
{
    /// <summary>
    /// The reader for <paramref name="transport"/>: readiness when the transport offers it and the
    /// platform has a poller, asynchronous reads otherwise.
    /// </summary>
    public static TransportReader Start(ITransport transport, IActorRef owner, int bufferSize, Action<string>? onFallback = null)
    {
        if (transport is SocketTransport socket)
        {
            try
            {
                if (socket.WatchReadable(owner))
                {
                    var reader = new ReadinessReader(socket, owner, bufferSize);
                    owner.Tell(ReadinessPoller.ReadReady.Instance); // what arrived before the registration
                    return reader;
                }
            }
            catch (Exception error) when (error is System.Net.Sockets.SocketException or ObjectDisposedException)
            {
                onFallback?.Invoke(error.Message); // the asynchronous path reports what is wrong with the socket
            }
        }

        var loop = new AsyncReader(transport, owner, bufferSize);
        loop.Start();
        return loop;
    }

    /// <summary>Delivers what <paramref name="signal"/> (a message this reader sent) stands for to <paramref name="sink"/>.</summary>
    public abstract void OnSignal(ReadSignal signal, IReadSink sink);

    /// <summary>Reads again after the sink stopped wanting bytes (it wants them again now).</summary>
    public abstract void Resume();

    /// <summary>Stops reading for good; the transport's disposal ends a read in progress.</summary>
    public abstract void Stop();
}

/// <summary>
/// Reads a readiness-watched socket on the actor's thread (<see cref="SocketTransport.WatchReadable"/>)
/// until it is empty, the sink stops wanting bytes, or a few full buffers were taken; then the rest
/// waits behind the other messages in the mailbox, so one busy client cannot hold the actor's thread.
/// </summary>
internal sealed class ReadinessReader : TransportReader
{
    private const int MaxReadsPerTurn = 4;
    private readonly SocketTransport _socket;
    private readonly IActorRef _owner;
    private readonly int _bufferSize;
    private bool _stopped;

    public ReadinessReader(SocketTransport socket, IActorRef owner, int bufferSize)
    {
        _socket = socket;
        _owner = owner;
        _bufferSize = bufferSize;
    }

    public override void OnSignal(ReadSignal signal, IReadSink sink)
    {
        for (int round = 0; round < MaxReadsPerTurn; round++)
        {
            if (_stopped || !sink.WantsBytes)
            {
                return; // Resume asks again (edge-triggered: what is in the socket stays there)
            }

            byte[] buffer = ConnectionBuffers.Pool.Rent(_bufferSize);
            int count = _socket.Receive(buffer, out System.Net.Sockets.SocketError error);
            if (count > 0)
            {
                try
                {
                    sink.OnBytes(buffer.AsSpan(0, count));
                }
                finally
                {
                    ConnectionBuffers.Pool.Return(buffer);
                }

                if (count < buffer.Length)
                {
                    return; // a short read emptied the socket: the poller tells when more arrives
                }

                continue;
            }

            ConnectionBuffers.Pool.Return(buffer);
            if (count == 0)
            {
                sink.OnReadEnded(null);
            }
            else if (error != System.Net.Sockets.SocketError.WouldBlock)
            {
                sink.OnReadEnded(new System.Net.Sockets.SocketException((int)error));
            }

            return;
        }

        _owner.Tell(ReadinessPoller.ReadReady.Instance);
    }

    public override void Resume()
    {
        if (!_stopped)
        {
            _owner.Tell(ReadinessPoller.ReadReady.Instance);
        }
    }

    public override void Stop() => _stopped = true;
}
