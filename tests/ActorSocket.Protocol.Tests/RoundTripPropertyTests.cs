using ActorSocket.Protocol.Deflate;
using ActorSocket.Protocol.Framing;
using CsCheck;

namespace ActorSocket.Protocol.Tests;

/// <summary>Encode then decode gives the message back, for random sizes, fragmentations, masks and cuts.</summary>
public class RoundTripPropertyTests
{
    private static readonly PerMessageDeflateParameters Deflate = new(false, false, 15, 15);

    private static readonly Gen<byte[]> Payload = Gen.OneOf(
        Gen.Byte.Array[0, 130],
        Gen.Byte.Array[65_500, 66_000],
        Gen.Byte.Array[0, 5000],
        Gen.String[0, 400].Select(s => System.Text.Encoding.UTF8.GetBytes(s)));

    private static readonly Gen<(byte[] Payload, bool Text, int Fragments, bool Compress, bool ClientSends, int Seed)> Case =
        Gen.Select(Payload, Gen.Bool, Gen.Int[1, 6], Gen.Bool, Gen.Bool, Gen.Int);

    [Fact]
    public void Every_message_comes_back_unchanged()
    {
        Case.Sample(c =>
        {
            byte[] payload = c.Text ? System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(c.Payload)) : c.Payload;
            Role sender = c.ClientSends ? Role.Client : Role.Server;
            Role receiver = c.ClientSends ? Role.Server : Role.Client;
            PerMessageDeflateParameters? deflate = c.Compress ? Deflate : null;
            var options = new WebSocketCodecOptions { Deflate = new PerMessageDeflateOptions { MinimumSize = 0 } };
            using var encoder = new WebSocketCodec(sender, options, deflate);
            var random = new Random(c.Seed);

            if (c.Compress || c.Fragments == 1)
            {
                Assert.True(c.Text ? encoder.SendText(payload) : encoder.SendBinary(payload));
            }
            else
            {
                // Cut the message into fragments at random places, some of them empty.
                int[] cuts = Enumerable.Range(0, c.Fragments - 1).Select(_ => random.Next(payload.Length + 1)).Order().ToArray();
                int start = 0;
                for (int i = 0; i <= cuts.Length; i++)
                {
                    int end = i < cuts.Length ? cuts[i] : payload.Length;
                    Opcode opcode = i == 0 ? (c.Text ? Opcode.Text : Opcode.Binary) : Opcode.Continuation;
                    encoder.SendFrame(opcode, payload.AsSpan(start, end - start), fin: i == cuts.Length);
                    start = end;
                }
            }

            byte[] wire = encoder.PeekOutgoing().ToArray();
            int[] readCuts = Enumerable.Range(0, random.Next(0, 8)).Select(_ => random.Next(wire.Length + 1)).Order().ToArray();
            var (events, _) = CodecHarness.Run(receiver, wire, readCuts, options, deflate);
            Assert.Equal([c.Text ? new Ev(WebSocketEventKind.Text, Convert.ToHexString(payload)) : Ev.Binary(payload)], events);
        }, iter: 400);
    }

    [Fact]
    public void A_stream_of_compressed_messages_with_context_takeover_comes_back_in_order()
    {
        Gen.String[0, 300].Array[1, 30].Sample(messages =>
        {
            var options = new WebSocketCodecOptions { Deflate = new PerMessageDeflateOptions { MinimumSize = 0 } };
            using var client = new WebSocketCodec(Role.Client, options, Deflate);
            foreach (string message in messages)
            {
                client.SendText(System.Text.Encoding.UTF8.GetBytes(message));
            }

            var (events, _) = CodecHarness.Run(Role.Server, client.PeekOutgoing().ToArray(), [], options, Deflate);
            Assert.Equal(messages.Select(m => Ev.Text(System.Text.Encoding.UTF8.GetString(System.Text.Encoding.UTF8.GetBytes(m)))), events);
        }, iter: 200);
    }
}
