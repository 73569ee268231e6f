using System.Buffers;

namespace ActorSocket.Protocol.Deflate;

/// <summary>
/// A DEFLATE (RFC 1951) decoder shaped for permessage-deflate: it decodes one whole compressed
/// message at a time, keeps the sliding window between messages for context takeover, and checks
/// the decompressed size before every byte it writes, so a "zip bomb" ends as
/// <see cref="InflateResult.TooLarge"/> with at most the limit allocated.
/// </summary>
/// <remarks>
/// Written for this codec rather than wrapping <c>DeflateStream</c> because the stream hides what
/// the protocol needs: where a message's final block ended, how much output it may produce before
/// it is stopped, and a reset without reallocating. Not thread-safe; owned by one codec.
/// </remarks>
internal sealed class Inflater : IDisposable
{
    // RFC 7692 7.2.2: "Append 4 octets of 0x00 0x00 0xff 0xff to the tail end of the payload".
    private static ReadOnlySpan<byte> Trailer => [0x00, 0x00, 0xFF, 0xFF];

    private static ReadOnlySpan<ushort> LengthBase => [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
    private static ReadOnlySpan<byte> LengthExtra => [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
    private static ReadOnlySpan<ushort> DistanceBase => [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
    private static ReadOnlySpan<byte> DistanceExtra => [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];

    // RFC 1951 3.2.7: the order in which code length code lengths are sent.
    private static ReadOnlySpan<byte> CodeLengthOrder => [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

    private static readonly Huffman FixedLiterals = BuildFixed(literals: true);
    private static readonly Huffman FixedDistances = BuildFixed(literals: false);

    // Decoding tables (about 5 KiB) are needed only while a message is decoded, which happens in one
    // call on one thread: one set per thread serves every connection, which then holds only its window.
    [ThreadStatic]
    private static Tables? s_threadTables;

    private Huffman _literals = null!;
    private Huffman _distances = null!;
    private Huffman _codeLengths = null!;
    private byte[] _lengths = null!;

    // History from earlier messages (context takeover), allocated with the first message that has
    // output; null when the peer promised not to use it.
    private readonly int _windowSize;
    private byte[]? _window;
    private int _windowFill;
    private int _windowPosition;

    private byte[]? _output;
    private int _outputLength;
    private int _limit;

    /// <param name="windowBits">log2 of the peer's LZ77 window (8..15).</param>
    /// <param name="contextTakeover">False when the peer resets its compressor for every message
    /// (client_no_context_takeover): no history is kept.</param>
    public Inflater(int windowBits, bool contextTakeover)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(windowBits, 8);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(windowBits, 15);
        _windowSize = contextTakeover ? 1 << windowBits : 0;
    }

    /// <summary>The decompressed message of the last successful <see cref="Inflate"/>.</summary>
    public ReadOnlyMemory<byte> Output => _output is null ? default : _output.AsMemory(0, _outputLength);

    /// <summary>
    /// Decompresses one message (its payload without the trailer, which is appended here).
    /// </summary>
    public InflateResult Inflate(ReadOnlySpan<byte> compressed, int maxOutput)
    {
        ReleaseOutput();
        if (compressed.IsEmpty)
        {
            // The trailer alone is not a whole block; an empty payload is an empty message.
            return InflateResult.Ok;
        }

        _limit = maxOutput;
        var bits = new BitReader(compressed, Trailer);
        Tables tables = s_threadTables ??= new Tables();
        _literals = tables.Literals;
        _distances = tables.Distances;
        _codeLengths = tables.CodeLengths;
        _lengths = tables.Lengths;
        InflateResult result;
        try
        {
            result = DecodeBlocks(ref bits);
        }
        finally
        {
            _literals = _distances = _codeLengths = null!;
            _lengths = null!;
        }

        if (result != InflateResult.Ok)
        {
            ReleaseOutput();
            return result;
        }

        Remember(_output.AsSpan(0, _outputLength));
        return InflateResult.Ok;
    }

    /// <summary>Returns the output buffer to the pool; <see cref="Output"/> is empty after it.</summary>
    public void ReleaseOutput()
    {
        if (_output is not null)
        {
            ArrayPool<byte>.Shared.Return(_output);
            _output = null;
        }

        _outputLength = 0;
    }

    public void Dispose() => ReleaseOutput();

    private InflateResult DecodeBlocks(ref BitReader bits)
    {
        while (true)
        {
            if (bits.AtEnd)
            {
                return InflateResult.Ok;
            }

            if (!bits.TryRead(3, out uint header))
            {
                return InflateResult.Corrupt;
            }

            bool final = (header & 1) != 0;
            InflateResult result = (header >> 1) switch
            {
                0 => Stored(ref bits),
                1 => Compressed(ref bits, FixedLiterals, FixedDistances),
                2 => Dynamic(ref bits),
                _ => InflateResult.Corrupt,
            };
            if (result != InflateResult.Ok)
            {
                return result;
            }

            if (final)
            {
                // RFC 7692 7.2.2: data after a final block (such as our own trailer) is ignored.
                return InflateResult.Ok;
            }
        }
    }

    private InflateResult Stored(ref BitReader bits)
    {
        bits.AlignToByte();
        if (!bits.TryRead(16, out uint length) || !bits.TryRead(16, out uint complement) || (length ^ 0xFFFF) != complement)
        {
            return InflateResult.Corrupt;
        }

        if (!Reserve((int)length))
        {
            return InflateResult.TooLarge;
        }

        for (int i = 0; i < (int)length; i++)
        {
            if (!bits.TryRead(8, out uint b))
            {
                return InflateResult.Corrupt;
            }

            _output![_outputLength++] = (byte)b;
        }

        return InflateResult.Ok;
    }

    private InflateResult Dynamic(ref BitReader bits)
    {
        if (!bits.TryRead(5, out uint hlit) || !bits.TryRead(5, out uint hdist) || !bits.TryRead(4, out uint hclen))
        {
            return InflateResult.Corrupt;
        }

        int literalCount = (int)hlit + 257;
        int distanceCount = (int)hdist + 1;
        if (literalCount > 286 || distanceCount > 30)
        {
            return InflateResult.Corrupt;
        }

        Span<byte> lengths = _lengths;
        lengths[..19].Clear();
        for (int i = 0; i < (int)hclen + 4; i++)
        {
            if (!bits.TryRead(3, out uint length))
            {
                return InflateResult.Corrupt;
            }

            lengths[CodeLengthOrder[i]] = (byte)length;
        }

        if (!_codeLengths.Build(lengths[..19]))
        {
            return InflateResult.Corrupt;
        }

        int total = literalCount + distanceCount;
        int index = 0;
        while (index < total)
        {
            int symbol = _codeLengths.Decode(ref bits);
            if (symbol < 0)
            {
                return InflateResult.Corrupt;
            }

            if (symbol < 16)
            {
                lengths[index++] = (byte)symbol;
                continue;
            }

            byte value = 0;
            uint repeat;
            bool ok;
            if (symbol == 16)
            {
                if (index == 0)
                {
                    return InflateResult.Corrupt; // nothing to repeat
                }

                value = lengths[index - 1];
                ok = bits.TryRead(2, out repeat);
                repeat += 3;
            }
            else if (symbol == 17)
            {
                ok = bits.TryRead(3, out repeat);
                repeat += 3;
            }
            else
            {
                ok = bits.TryRead(7, out repeat);
                repeat += 11;
            }

            if (!ok || index + repeat > total)
            {
                return InflateResult.Corrupt;
            }

            lengths.Slice(index, (int)repeat).Fill(value);
            index += (int)repeat;
        }

        // Without a code for end-of-block (256) the block could never end.
        if (lengths[256] == 0
            || !_literals.Build(lengths[..literalCount])
            || !_distances.Build(lengths.Slice(literalCount, distanceCount)))
        {
            return InflateResult.Corrupt;
        }

        return Compressed(ref bits, _literals, _distances);
    }

    private InflateResult Compressed(ref BitReader bits, Huffman literals, Huffman distances)
    {
        while (true)
        {
            int symbol = literals.Decode(ref bits);
            if (symbol < 0)
            {
                return InflateResult.Corrupt;
            }

            if (symbol < 256)
            {
                if (!Reserve(1))
                {
                    return InflateResult.TooLarge;
                }

                _output![_outputLength++] = (byte)symbol;
                continue;
            }

            if (symbol == 256)
            {
                return InflateResult.Ok;
            }

            symbol -= 257;
            if (symbol >= 29)
            {
                return InflateResult.Corrupt; // 286 and 287 never occur in compressed data
            }

            if (!bits.TryRead(LengthExtra[symbol], out uint extra))
            {
                return InflateResult.Corrupt;
            }

            int length = LengthBase[symbol] + (int)extra;
            int distanceSymbol = distances.Decode(ref bits);
            if (distanceSymbol is < 0 or >= 30 || !bits.TryRead(DistanceExtra[distanceSymbol], out extra))
            {
                return InflateResult.Corrupt;
            }

            int distance = DistanceBase[distanceSymbol] + (int)extra;
            InflateResult copied = Copy(length, distance);
            if (copied != InflateResult.Ok)
            {
                return copied;
            }
        }
    }

    private InflateResult Copy(int length, int distance)
    {
        if (distance > _outputLength + _windowFill)
        {
            return InflateResult.Corrupt; // reaches back before anything we have seen
        }

        if (!Reserve(length))
        {
            return InflateResult.TooLarge;
        }

        byte[] output = _output!;
        if (distance > _outputLength)
        {
            // The start of the match lies in an earlier message's history.
            byte[] window = _window!;
            int mask = window.Length - 1;
            int back = distance - _outputLength;
            int fromWindow = Math.Min(length, back);
            for (int i = 0; i < fromWindow; i++)
            {
                output[_outputLength++] = window[(_windowPosition - back + i) & mask];
            }

            length -= fromWindow;
            if (length == 0)
            {
                return InflateResult.Ok;
            }
        }

        int from = _outputLength - distance;
        if (distance >= length)
        {
            output.AsSpan(from, length).CopyTo(output.AsSpan(_outputLength));
            _outputLength += length;
        }
        else
        {
            // Overlapping match (a run): each byte may be one this copy just wrote.
            for (int i = 0; i < length; i++)
            {
                output[_outputLength++] = output[from + i];
            }
        }

        return InflateResult.Ok;
    }

    private bool Reserve(int count)
    {
        long needed = (long)_outputLength + count;
        if (needed > _limit)
        {
            return false;
        }

        if (_output is not null && needed <= _output.Length)
        {
            return true;
        }

        int size = (int)Math.Min(_limit, Math.Max(needed, Math.Max(1024L, (_output?.Length ?? 0) * 2L)));
        byte[] bigger = ArrayPool<byte>.Shared.Rent(size);
        if (_output is not null)
        {
            _output.AsSpan(0, _outputLength).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_output);
        }

        _output = bigger;
        return true;
    }

    private void Remember(ReadOnlySpan<byte> data)
    {
        if (_windowSize == 0 || data.IsEmpty)
        {
            return;
        }

        _window ??= new byte[_windowSize];

        int size = _window.Length;
        if (data.Length >= size)
        {
            data[^size..].CopyTo(_window);
            _windowPosition = 0;
            _windowFill = size;
            return;
        }

        int first = Math.Min(data.Length, size - _windowPosition);
        data[..first].CopyTo(_window.AsSpan(_windowPosition));
        data[first..].CopyTo(_window);
        _windowPosition = (_windowPosition + data.Length) & (size - 1);
        _windowFill = Math.Min(size, _windowFill + data.Length);
    }

    private static Huffman BuildFixed(bool literals)
    {
        // RFC 1951 3.2.6.
        var lengths = new byte[literals ? 288 : 30];
        if (literals)
        {
            lengths.AsSpan(0, 144).Fill(8);
            lengths.AsSpan(144, 112).Fill(9);
            lengths.AsSpan(256, 24).Fill(7);
            lengths.AsSpan(280, 8).Fill(8);
        }
        else
        {
            lengths.AsSpan().Fill(5);
        }

        var table = new Huffman();
        table.Build(lengths);
        return table;
    }

    /// <summary>Least-significant-bit-first reader over the payload followed by the trailer.</summary>
    private ref struct BitReader(ReadOnlySpan<byte> data, ReadOnlySpan<byte> tail)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private readonly ReadOnlySpan<byte> _tail = tail;
        private int _position;
        private ulong _bits;
        private int _count;

        /// <summary>True when only padding bits (fewer than a byte) are left.</summary>
        public readonly bool AtEnd => _position == _data.Length + _tail.Length && _count < 8;

        public int Available
        {
            get
            {
                Fill();
                return _count;
            }
        }

        public readonly ulong Peek => _bits;

        public void Drop(int count)
        {
            _bits >>= count;
            _count -= count;
        }

        public bool TryRead(int count, out uint value)
        {
            if (count == 0)
            {
                value = 0;
                return true;
            }

            if (_count < count)
            {
                Fill();
                if (_count < count)
                {
                    value = 0;
                    return false;
                }
            }

            value = (uint)(_bits & ((1UL << count) - 1));
            Drop(count);
            return true;
        }

        public void AlignToByte() => Drop(_count & 7);

        private void Fill()
        {
            int total = _data.Length + _tail.Length;
            while (_count <= 56 && _position < total)
            {
                byte b = _position < _data.Length ? _data[_position] : _tail[_position - _data.Length];
                _bits |= (ulong)b << _count;
                _count += 8;
                _position++;
            }
        }
    }

    /// <summary>A canonical Huffman code: a 9-bit lookup table for short codes, counting for long ones.</summary>
    private sealed class Tables
    {
        public readonly Huffman Literals = new();
        public readonly Huffman Distances = new();
        public readonly Huffman CodeLengths = new();
        public readonly byte[] Lengths = new byte[288 + 32];
    }

    private sealed class Huffman
    {
        private const int FastBits = 9;
        private readonly short[] _counts = new short[16];
        private readonly short[] _symbols = new short[288];
        private readonly ushort[] _fast = new ushort[1 << FastBits];

        /// <summary>Builds the code from code lengths; false when the lengths over-subscribe the code space.</summary>
        public bool Build(ReadOnlySpan<byte> lengths)
        {
            Span<short> counts = _counts;
            counts.Clear();
            foreach (byte length in lengths)
            {
                counts[length]++;
            }

            counts[0] = 0;
            int left = 1;
            for (int length = 1; length < 16; length++)
            {
                left = (left << 1) - counts[length];
                if (left < 0)
                {
                    return false;
                }
            }

            // Incomplete codes are allowed (RFC 1951 permits a lone distance code); a bit pattern
            // with no symbol fails when it is decoded.
            Span<short> offsets = stackalloc short[16];
            Span<int> nextCode = stackalloc int[16];
            int code = 0;
            for (int length = 1; length < 16; length++)
            {
                offsets[length] = (short)(length == 1 ? 0 : offsets[length - 1] + counts[length - 1]);
                code = (code + counts[length - 1]) << 1;
                nextCode[length] = code;
            }

            Array.Clear(_fast);
            for (int symbol = 0; symbol < lengths.Length; symbol++)
            {
                int length = lengths[symbol];
                if (length == 0)
                {
                    continue;
                }

                _symbols[offsets[length]++] = (short)symbol;
                int canonical = nextCode[length]++;
                if (length <= FastBits)
                {
                    int reversed = Reverse(canonical, length);
                    for (int k = reversed; k < _fast.Length; k += 1 << length)
                    {
                        _fast[k] = (ushort)((symbol << 4) | length);
                    }
                }
            }

            return true;
        }

        /// <summary>Decodes one symbol; -1 when the bits run out or match no code.</summary>
        public int Decode(ref BitReader bits)
        {
            int available = bits.Available;
            ushort entry = _fast[(int)(bits.Peek & ((1 << FastBits) - 1))];
            if (entry != 0 && (entry & 15) <= available)
            {
                bits.Drop(entry & 15);
                return entry >> 4;
            }

            // RFC 1951 3.2.2: codes are read most-significant bit first, one bit at a time.
            ulong peek = bits.Peek;
            int code = 0;
            int first = 0;
            int index = 0;
            for (int length = 1; length < 16 && length <= available; length++)
            {
                code |= (int)((peek >> (length - 1)) & 1);
                int count = _counts[length];
                if (code - count < first)
                {
                    bits.Drop(length);
                    return _symbols[index + (code - first)];
                }

                index += count;
                first = (first + count) << 1;
                code <<= 1;
            }

            return -1;
        }

        private static int Reverse(int code, int length)
        {
            int reversed = 0;
            for (int i = 0; i < length; i++)
            {
                reversed = (reversed << 1) | (code & 1);
                code >>= 1;
            }

            return reversed;
        }
    }
}

/// <summary>Outcome of decompressing one message.</summary>
internal enum InflateResult
{
    /// <summary>The message decompressed within the limit.</summary>
    Ok,

    /// <summary>The decompressed message would exceed the limit; decoding stopped there.</summary>
    TooLarge,

    /// <summary>The data is not valid DEFLATE, or refers to history that does not exist.</summary>
    Corrupt,
}
