using System.Buffers;
using System.Text;
using ActorSocket.Protocol;
using ActorSocket.Protocol.Framing;
using ActorSocket.Protocol.Http;
using BenchmarkDotNet.Attributes;

namespace ActorSocket.Benchmarks;

/// <summary>The codec's steady receive path: one frame in, one event out, nothing allocated.</summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    private readonly WebSocketCodec _server = new(Role.Server);
    private byte[] _text125 = [];
    private byte[] _binary64K = [];

    [GlobalSetup]
    public void Setup()
    {
        _text125 = Masked(Opcode.Text, Encoding.ASCII.GetBytes(new string('x', 125)));
        byte[] payload = new byte[64 * 1024];
        new Random(1).NextBytes(payload);
        _binary64K = Masked(Opcode.Binary, payload);
    }

    [Benchmark(Description = "decode masked 125 B text frame")]
    public int DecodeText125() => Decode(_text125);

    [Benchmark(Description = "decode masked 64 KiB binary frame")]
    public int DecodeBinary64K() => Decode(_binary64K);

    [Benchmark(Description = "decode masked 64 KiB binary frame in 16 KiB reads")]
    public int DecodeBinary64KInPieces()
    {
        int total = 0;
        for (int offset = 0; offset < _binary64K.Length; offset += 16 * 1024)
        {
            _server.ReceiveData(_binary64K.AsSpan(offset, Math.Min(16 * 1024, _binary64K.Length - offset)));
            while (_server.TryReadEvent(out WebSocketEvent ev))
            {
                total += ev.Payload.Length;
            }
        }

        return total;
    }

    private int Decode(byte[] frame)
    {
        _server.ReceiveData(frame);
        _server.TryReadEvent(out WebSocketEvent ev);
        return ev.Payload.Length;
    }

    private static byte[] Masked(Opcode opcode, byte[] payload)
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameWriter.WriteFrame(writer, opcode, payload, maskKey: 0x12345678);
        return writer.WrittenSpan.ToArray();
    }
}

/// <summary>Unmasking throughput: bytes per second is the buffer size over the mean time.</summary>
[MemoryDiagnoser]
public class MaskingBenchmarks
{
    private byte[] _data = [];

    [Params(125, 4096, 65536, 1 << 20)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup() => _data = new byte[Size];

    [Benchmark(Description = "unmask")]
    public void Unmask() => Masking.Apply(_data, 0x12345678, 0);
}

/// <summary>Parsing and deciding a browser-sized handshake.</summary>
[MemoryDiagnoser]
public class HandshakeBenchmarks
{
    private readonly byte[] _request = Encoding.ASCII.GetBytes(
        "GET /pubsub?room=lobby HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nConnection: Upgrade\r\nPragma: no-cache\r\n" +
        "Cache-Control: no-cache\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36\r\n" +
        "Upgrade: websocket\r\nOrigin: http://127.0.0.1:8080\r\nSec-WebSocket-Version: 13\r\nAccept-Encoding: gzip, deflate, br\r\n" +
        "Accept-Language: en-US,en;q=0.9\r\nCookie: session=abc123; theme=dark\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n");

    [Benchmark(Description = "parse handshake request")]
    public HttpRequest? Parse()
    {
        HttpRequestParser.TryParse(_request, null, out HttpRequest? request, out _, out _);
        return request;
    }

    [Benchmark(Description = "parse and accept handshake")]
    public HandshakeDecision ParseAndDecide()
    {
        HttpRequestParser.TryParse(_request, null, out HttpRequest? request, out _, out _);
        return WebSocketHandshake.Decide(request!);
    }
}
