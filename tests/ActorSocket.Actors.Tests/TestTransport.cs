using System.Net;
using System.Threading.Channels;
using ActorSocket.Actors.Transport;

namespace ActorSocket.Actors.Tests;

/// <summary>An in-memory transport: the test feeds what the client sends and reads what the server wrote.</summary>
public sealed class TestTransport : ITransport
{
    private readonly Channel<byte[]> _incoming = Channel.CreateUnbounded<byte[]>();
    private readonly Channel<byte[]> _written = Channel.CreateUnbounded<byte[]>();
    private byte[] _pending = [];

    /// <summary>When set, writes never complete (a client that stopped reading).</summary>
    public bool StallWrites { get; set; }

    public EndPoint? RemoteEndPoint { get; } = new IPEndPoint(IPAddress.Loopback, 40000);

    public bool IsSecure => false;

    public bool Disposed { get; private set; }

    public ChannelReader<byte[]> Written => _written.Reader;

    public void Send(byte[] bytes) => _incoming.Writer.TryWrite(bytes);

    public void SendEof() => _incoming.Writer.TryComplete();

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (_pending.Length == 0)
        {
            if (!await _incoming.Reader.WaitToReadAsync(cancellationToken))
            {
                return 0;
            }

            if (buffer.IsEmpty)
            {
                return 0; // readable
            }

            _pending = await _incoming.Reader.ReadAsync(cancellationToken);
        }

        if (buffer.IsEmpty)
        {
            return 0;
        }

        int count = Math.Min(buffer.Length, _pending.Length);
        _pending.AsSpan(0, count).CopyTo(buffer.Span);
        _pending = _pending[count..];
        return count;
    }

    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (StallWrites)
        {
            return new ValueTask(Task.Delay(Timeout.Infinite, cancellationToken));
        }

        _written.Writer.TryWrite(data.ToArray());
        return ValueTask.CompletedTask;
    }

    public void ShutdownSend() => _written.Writer.TryComplete();

    public void Abort() => Dispose();

    public void Dispose()
    {
        Disposed = true;
        _written.Writer.TryComplete();
        _incoming.Writer.TryComplete();
    }
}
