using System.Buffers;
using System.Buffers.Binary;

namespace ActorSocket.Protocol.Framing;

/// <summary>Encodes whole frames (RFC 6455 5.2) into caller-provided memory.</summary>
/// <remarks>
/// A server frame is unmasked (RFC 6455 5.1: "A server MUST NOT mask any frames that it sends to
/// the client"); a client frame carries a mask key and a masked copy of the payload.
/// The caller's payload is never modified.
/// </remarks>
public static class FrameWriter
{
    /// <summary>Largest header: 2 bytes, 8 bytes of extended length, 4 bytes of mask key.</summary>
    public const int MaxHeaderLength = 14;

    /// <summary>Header length of a frame with this payload length.</summary>
    public static int HeaderLength(long payloadLength, bool masked) =>
        (payloadLength <= 125 ? 2 : payloadLength <= ushort.MaxValue ? 4 : 10) + (masked ? 4 : 0);

    /// <summary>Writes a frame header; returns its length.</summary>
    /// <param name="destination">At least <see cref="HeaderLength"/> bytes.</param>
    /// <param name="opcode">The frame's opcode.</param>
    /// <param name="fin">Whether this is the final frame of its message.</param>
    /// <param name="rsv1">The RSV1 bit: set on the first frame of a compressed message (RFC 7692 6).</param>
    /// <param name="payloadLength">The payload length, in the shortest of the three encodings.</param>
    /// <param name="maskKey">The mask key for a client frame, null for a server frame.</param>
    public static int WriteHeader(Span<byte> destination, Opcode opcode, bool fin, bool rsv1, long payloadLength, uint? maskKey)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        destination[0] = (byte)((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | (byte)opcode);
        byte maskBit = maskKey.HasValue ? (byte)0x80 : (byte)0;
        int position;
        // RFC 6455 5.2: "the minimal number of bytes MUST be used to encode the length".
        if (payloadLength <= 125)
        {
            destination[1] = (byte)(maskBit | (byte)payloadLength);
            position = 2;
        }
        else if (payloadLength <= ushort.MaxValue)
        {
            destination[1] = (byte)(maskBit | 126);
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)payloadLength);
            position = 4;
        }
        else
        {
            destination[1] = (byte)(maskBit | 127);
            BinaryPrimitives.WriteUInt64BigEndian(destination[2..], (ulong)payloadLength);
            position = 10;
        }

        if (maskKey.HasValue)
        {
            Masking.WriteKey(destination[position..], maskKey.Value);
            position += 4;
        }

        return position;
    }

    /// <summary>Writes one whole frame to <paramref name="writer"/>; returns the bytes written.</summary>
    public static int WriteFrame(IBufferWriter<byte> writer, Opcode opcode, ReadOnlySpan<byte> payload, bool fin = true, bool rsv1 = false, uint? maskKey = null)
    {
        int total = HeaderLength(payload.Length, maskKey.HasValue) + payload.Length;
        Span<byte> span = writer.GetSpan(total);
        int header = WriteHeader(span, opcode, fin, rsv1, payload.Length, maskKey);
        Span<byte> body = span.Slice(header, payload.Length);
        payload.CopyTo(body);
        if (maskKey.HasValue)
        {
            Masking.Apply(body, maskKey.Value, 0);
        }

        writer.Advance(total);
        return total;
    }

    /// <summary>
    /// Encodes a complete unmasked server frame into a new array: the immutable buffer a fan-out
    /// hands to every subscriber, encoded once.
    /// </summary>
    public static byte[] EncodeServerFrame(Opcode opcode, ReadOnlySpan<byte> payload, bool rsv1 = false)
    {
        var frame = new byte[HeaderLength(payload.Length, false) + payload.Length];
        int header = WriteHeader(frame, opcode, true, rsv1, payload.Length, null);
        payload.CopyTo(frame.AsSpan(header));
        return frame;
    }
}
