using ActorSocket.Protocol.Framing;

namespace ActorSocket.Protocol.Deflate;

/// <summary>
/// The parameters a server connection compresses a message with when it keeps no context between
/// messages (<see cref="WebSocketCodec.SharedCompression"/>): connections with equal parameters can
/// be sent the same compressed frame.
/// </summary>
/// <param name="Level">The zlib level.</param>
/// <param name="MinimumSize">Shorter payloads go uncompressed.</param>
/// <param name="MaximumSize">Longer payloads go uncompressed (a window smaller than zlib's 32 KiB was agreed).</param>
internal readonly record struct SharedCompression(int Level, int MinimumSize, int MaximumSize)
{
    /// <summary>
    /// The frame a connection with these parameters would send for the unmasked, unfragmented,
    /// uncompressed server frame <paramref name="frame"/>: the same payload compressed, with RSV1
    /// set; or <paramref name="frame"/> itself when its payload is not to be compressed (too short,
    /// too long, a control frame).
    /// </summary>
    public byte[] Compress(byte[] frame)
    {
        int headerLength = FrameHeaderLength(frame);
        int payloadLength = frame.Length - headerLength;
        var opcode = (Opcode)(frame[0] & 0x0F);
        if ((frame[0] & 0x80) == 0 || (opcode != Opcode.Text && opcode != Opcode.Binary)
            || payloadLength == 0 || payloadLength < MinimumSize || payloadLength > MaximumSize)
        {
            return frame;
        }

        using var compressed = new PooledBuffer();
        SharedDeflater deflater = SharedDeflater.Rent(Level);
        try
        {
            deflater.Compress(frame.AsSpan(headerLength), compressed);
        }
        catch
        {
            deflater.Dispose(); // its stream may hold half a message: not shared again
            throw;
        }

        SharedDeflater.Return(deflater);
        return FrameWriter.EncodeServerFrame(opcode, compressed.Span, rsv1: true);
    }

    private static int FrameHeaderLength(byte[] frame) => (frame[1] & 0x7F) switch
    {
        126 => 4,
        127 => 10,
        _ => 2,
    };
}
