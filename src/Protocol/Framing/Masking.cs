using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ActorSocket.Protocol.Framing;

/// <summary>The XOR masking of RFC 6455 section 5.3, vectorized.</summary>
public static class Masking
{
    /// <summary>
    /// Masks or unmasks <paramref name="data"/> in place (the operation is its own inverse).
    /// </summary>
    /// <param name="data">Payload bytes to transform.</param>
    /// <param name="maskKey">The four key bytes as they appear on the wire, read little-endian
    /// (see <see cref="ReadKey"/>).</param>
    /// <param name="payloadOffset">Position of <c>data[0]</c> within the frame payload, so that a
    /// payload can be processed in pieces: RFC 6455 5.3, octet i is XORed with key octet i MOD 4.</param>
    public static void Apply(Span<byte> data, uint maskKey, long payloadOffset)
    {
        if (data.IsEmpty)
        {
            return;
        }

        uint key = BitOperations.RotateRight(maskKey, (int)(payloadOffset & 3) * 8);
        ref byte start = ref MemoryMarshal.GetReference(data);
        nuint length = (nuint)data.Length;
        nuint i = 0;

        if (Vector256.IsHardwareAccelerated && length >= (nuint)Vector256<byte>.Count)
        {
            Vector256<byte> k = Vector256.Create(key).AsByte();
            nuint last = length - (nuint)Vector256<byte>.Count;
            for (; i <= last; i += (nuint)Vector256<byte>.Count)
            {
                (Vector256.LoadUnsafe(ref start, i) ^ k).StoreUnsafe(ref start, i);
            }
        }
        else if (Vector128.IsHardwareAccelerated && length >= (nuint)Vector128<byte>.Count)
        {
            Vector128<byte> k = Vector128.Create(key).AsByte();
            nuint last = length - (nuint)Vector128<byte>.Count;
            for (; i <= last; i += (nuint)Vector128<byte>.Count)
            {
                (Vector128.LoadUnsafe(ref start, i) ^ k).StoreUnsafe(ref start, i);
            }
        }

        ulong key64 = key | ((ulong)key << 32);
        for (; i + 8 <= length; i += 8)
        {
            ref byte p = ref Unsafe.Add(ref start, i);
            Unsafe.WriteUnaligned(ref p, Unsafe.ReadUnaligned<ulong>(ref p) ^ key64);
        }

        // Every block above is a multiple of 4 bytes long, so the key is still aligned with i.
        for (; i < length; i++)
        {
            Unsafe.Add(ref start, i) ^= (byte)(key >> (int)((i & 3) * 8));
        }
    }

    /// <summary>Reads a masking key from its four wire bytes.</summary>
    public static uint ReadKey(ReadOnlySpan<byte> fourBytes) => BinaryPrimitives.ReadUInt32LittleEndian(fourBytes);

    /// <summary>Writes a masking key as its four wire bytes.</summary>
    public static void WriteKey(Span<byte> destination, uint maskKey) => BinaryPrimitives.WriteUInt32LittleEndian(destination, maskKey);
}
