using ActorSocket.Protocol.Deflate;
using ActorSocket.Protocol.Framing;

namespace ActorSocket.Protocol;

/// <summary>
/// A sans-I/O RFC 6455 (and RFC 7692) connection after the handshake: bytes in, events out;
/// commands in, bytes out. It never touches a socket, a timer or a clock.
/// </summary>
/// <remarks>
/// <para>Use: feed what the transport read with <see cref="ReceiveData"/> (or <see cref="ReceiveEof"/>),
/// then call <see cref="TryReadEvent"/> until it returns false; send with <see cref="SendText"/>,
/// <see cref="SendBinary"/>, <see cref="SendPing"/>, <see cref="SendClose"/>, and move the encoded
/// bytes to the transport with <see cref="WriteOutgoing"/> or <see cref="PeekOutgoing"/> and
/// <see cref="ConsumeOutgoing"/>. When <see cref="State"/> is <see cref="CodecState.Closed"/>, send what
/// is queued and close the transport (RFC 6455 7.1.1: the server closes TCP first).</para>
/// <para>A peer's violation is data, not an exception: the codec queues the close frame with the
/// right code and reports <see cref="WebSocketEventKind.Failed"/>. Exceptions mean a caller bug.</para>
/// <para>Memory: input is buffered only while a frame is incomplete, at most the frame header plus
/// the message limit; a message is reassembled only when it is fragmented or arrives in pieces;
/// all buffers come from <see cref="System.Buffers.ArrayPool{T}"/> and are returned when empty, so
/// an idle codec holds no buffer. Compression state exists only when deflate was negotiated.</para>
/// <para>Not thread-safe: one owner (the connection actor) calls it at a time.</para>
/// </remarks>
public sealed partial class WebSocketCodec : IDisposable
{
    private readonly Role _role;
    private readonly WebSocketCodecOptions _options;
    private readonly PerMessageDeflateParameters? _deflate;
    private readonly PooledBuffer _input = new();
    private readonly PooledBuffer _message = new();
    private readonly PooledBuffer _outgoing = new();

    /// <summary>Creates a codec for one connection.</summary>
    /// <param name="role">Which end this codec is; decides masking.</param>
    /// <param name="options">Limits; <see cref="WebSocketCodecOptions.Default"/> when null.</param>
    /// <param name="deflate">The permessage-deflate parameters the handshake agreed, or null.</param>
    public WebSocketCodec(Role role, WebSocketCodecOptions? options = null, PerMessageDeflateParameters? deflate = null)
    {
        _role = role;
        _options = options ?? WebSocketCodecOptions.Default;
        _deflate = deflate;
    }

    /// <summary>Where the close handshake stands.</summary>
    public CodecState State { get; private set; }

    /// <summary>Which end this codec plays.</summary>
    public Role Role => _role;

    /// <summary>Whether permessage-deflate is in use on this connection.</summary>
    public bool IsCompressed => _deflate is not null;

    /// <summary>Whether this end has queued its close frame.</summary>
    public bool CloseSent { get; private set; }

    /// <summary>Whether the peer's close frame arrived.</summary>
    public bool CloseReceived { get; private set; }

    /// <summary>Bytes of input held because a frame is not complete yet.</summary>
    public int BufferedInputBytes => _input.Length + _message.Length;

    /// <summary>Pool memory held right now by the receive side, in bytes (for tests and metrics).</summary>
    public int ReceiveBufferCapacity => _input.Capacity + _message.Capacity;

    /// <summary>Returns every pooled buffer.</summary>
    public void Dispose()
    {
        _input.Release();
        _message.Release();
        _outgoing.Release();
        _compressed?.Release();
        _inflater?.Dispose();
        _deflater?.Dispose();
    }
}
