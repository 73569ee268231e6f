using ActorSocket.Protocol.Deflate;
using ActorSocket.Protocol.Framing;

namespace ActorSocket.Protocol.Tests;

/// <summary>
/// The fuzz rule: every input is accepted or ends in a documented close code, never an exception,
/// never more memory than the limits allow.
/// </summary>
public class FuzzTests
{
    private const int MaxMessage = 4096;
    private const int MaxChunk = 700;

    private static readonly CloseCode[] Documented = [CloseCode.ProtocolError, CloseCode.InvalidPayloadData, CloseCode.MessageTooBig];

    [Fact]
    public void A_hundred_thousand_random_and_mutated_frames_end_in_events_or_documented_codes()
    {
        var random = new Random(20261123);
        var options = new WebSocketCodecOptions { MaxMessageSize = MaxMessage, Deflate = new PerMessageDeflateOptions { MinimumSize = 0 } };
        var deflate = new PerMessageDeflateParameters(false, false, 15, 15);
        // The most a connection may hold: one compressed message at its limit, a frame header, one read.
        long bound = MaxMessage + (MaxMessage >> 3) + 64 + FrameWriter.MaxHeaderLength + MaxChunk;
        int frames = 0, failures = 0, messages = 0;

        while (frames < 100_000)
        {
            bool compressed = random.Next(3) == 0;
            using var client = new WebSocketCodec(Role.Client, options, compressed ? deflate : null);
            for (int i = 0; i < 10; i++, frames++)
            {
                AppendRandomFrame(client, random);
            }

            byte[] wire = client.PeekOutgoing().ToArray();
            Mutate(wire, random);

            using var server = new WebSocketCodec(Role.Server, options, compressed ? deflate : null);
            int position = 0;
            while (position < wire.Length)
            {
                int chunk = Math.Min(wire.Length - position, 1 + random.Next(MaxChunk));
                server.ReceiveData(wire.AsSpan(position, chunk));
                position += chunk;
                Assert.InRange(server.BufferedInputBytes, 0, bound);
                while (server.TryReadEvent(out WebSocketEvent ev))
                {
                    Assert.True(Enum.IsDefined(ev.Kind));
                    Assert.InRange(ev.Payload.Length, 0, MaxMessage);
                    if (ev.Kind == WebSocketEventKind.Failed)
                    {
                        Assert.Contains(ev.CloseCode, Documented);
                        failures++;
                    }
                    else if (ev.Kind is WebSocketEventKind.Text or WebSocketEventKind.Binary)
                    {
                        messages++;
                    }
                }

                // Pooled arrays round up to a power of two at most.
                Assert.InRange(server.ReceiveBufferCapacity, 0, 4 * bound);
            }

            server.ReceiveEof();
            while (server.TryReadEvent(out _))
            {
            }
        }

        // Both outcomes were exercised, not only one.
        Assert.True(failures > 1000, $"{failures} failures");
        Assert.True(messages > 1000, $"{messages} messages");
    }

    private static void AppendRandomFrame(WebSocketCodec client, Random random)
    {
        int size = random.Next(10) switch
        {
            0 => random.Next(126, 70_000),
            1 => MaxMessage + random.Next(-2, 3),
            _ => random.Next(0, 200),
        };
        byte[] payload = new byte[size];
        if (random.Next(2) == 0)
        {
            random.NextBytes(payload);
        }
        else
        {
            payload.AsSpan().Fill((byte)random.Next('a', 'z'));
        }

        switch (random.Next(8))
        {
            case 0:
                client.SendPing(payload.AsSpan(0, Math.Min(size, 125)));
                break;
            case 1:
                client.SendFrame(Opcode.Text, payload, fin: false);
                break;
            case 2:
                client.SendFrame(Opcode.Continuation, payload, fin: random.Next(2) == 0);
                break;
            case 3:
                client.SendBinary(payload);
                break;
            default:
                client.SendText(payload);
                break;
        }
    }

    private static void Mutate(byte[] wire, Random random)
    {
        if (wire.Length == 0)
        {
            return;
        }

        int mutations = random.Next(4);
        for (int i = 0; i < mutations; i++)
        {
            int at = random.Next(wire.Length);
            switch (random.Next(3))
            {
                case 0:
                    wire[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    wire[at] = (byte)random.Next(256);
                    break;
                default:
                    // Favour the header bytes, where the rules are.
                    wire[random.Next(Math.Min(wire.Length, 14))] = (byte)random.Next(256);
                    break;
            }
        }
    }
}
