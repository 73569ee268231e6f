using System.Runtime.Serialization;
using ActorSocket.Actors.Cluster;
using ActorSocket.Protocol;
using ActorSocket.Protocol.Deflate;
using ActorSocket.Protocol.Framing;
using ActorSocket.Protocol.Http;
using ActorSocket.Protocol.PubSub;

namespace ActorSocket.Fuzz;

/// <summary>
/// The parsers a client (or another node) feeds, each with the invariants of the hostile-clients
/// rules: no exception escapes, only documented outcomes, buffered bytes within the limits. A
/// violated invariant throws <see cref="InvariantViolated"/>, which the fuzzer reports as a crash.
/// </summary>
public static class FuzzTargets
{
    private const int MaxMessage = 4096;
    private static readonly CloseCode[] Documented = [CloseCode.ProtocolError, CloseCode.InvalidPayloadData, CloseCode.MessageTooBig];

    // Instrumented code must not run before SharpFuzz has set up its coverage map: objects of the
    // instrumented assemblies are made on the first input, not when the targets are looked up.
    private static HttpParserOptions Http => Lazy.Http;

    private static ClusterTopicSerializer Serializer => Lazy.Serializer;

    /// <summary>Every target by name, as fuzz/run.sh and the corpus replay name them.</summary>
    public static IReadOnlyDictionary<string, Action<byte[]>> All { get; } = new Dictionary<string, Action<byte[]>>
    {
        ["http"] = HttpRequest,
        ["frames"] = data => Frames(data, deflate: null),
        ["frames-deflate"] = data => Frames(data, new PerMessageDeflateParameters(false, false, 15, 12)),
        ["pubsub"] = PubSub,
        ["cluster"] = Cluster,
    };

    /// <summary>The request-head parser and the handshake decision.</summary>
    public static void HttpRequest(byte[] data)
    {
        HttpParseStatus status = HttpRequestParser.TryParse(data, Http, out HttpRequest? request, out HttpResponse? error, out int consumed);
        switch (status)
        {
            case HttpParseStatus.Complete:
                Check(request is not null && consumed > 0 && consumed <= Math.Min(data.Length, Http.MaxHeadBytes + 4), "a complete head within the bytes and the limit");
                HandshakeDecision decision = WebSocketHandshake.Decide(request!, HandshakeOptions.Default);
                Check(decision.IsAccepted || decision.Response.StatusCode is 400 or 426, "an accepted handshake or 400/426");
                break;
            case HttpParseStatus.Invalid:
                Check(error is not null && error.StatusCode is 400 or 431 or 505, "400, 431 or 505");
                break;
            default:
                Check(data.Length < Http.MaxHeadBytes, "incomplete only below the head limit");
                break;
        }
    }

    /// <summary>
    /// A server codec fed the input in pieces (the first byte chooses their size): events or a
    /// documented close code, payloads within the message limit, held input within one frame header,
    /// one compressed message at its limit and one piece.
    /// </summary>
    public static void Frames(byte[] data, PerMessageDeflateParameters? deflate)
    {
        if (data.Length == 0)
        {
            return;
        }

        var options = new WebSocketCodecOptions { MaxMessageSize = MaxMessage, Deflate = new PerMessageDeflateOptions { MinimumSize = 0 } };
        int piece = 1 + (data[0] % 97);
        long bound = MaxMessage + (MaxMessage >> 3) + 64 + FrameWriter.MaxHeaderLength + piece;
        using var codec = new WebSocketCodec(Role.Server, options, deflate);
        for (int position = 1; position < data.Length; position += piece)
        {
            codec.ReceiveData(data.AsSpan(position, Math.Min(piece, data.Length - position)));
            Check(codec.BufferedInputBytes <= bound, "buffered input within the bound");
            while (codec.TryReadEvent(out WebSocketEvent ev))
            {
                Check(ev.Payload.Length <= MaxMessage, "a payload within the message limit");
                if (ev.Kind == WebSocketEventKind.Failed)
                {
                    Check(Array.IndexOf(Documented, ev.CloseCode) >= 0, "a documented close code");
                }

                if (ev.Kind == WebSocketEventKind.Text)
                {
                    Check(System.Text.Unicode.Utf8.IsValid(ev.Payload.Span), "text is valid UTF-8");
                }
            }
        }

        codec.ReceiveEof();
        while (codec.TryReadEvent(out _))
        {
        }
    }

    /// <summary>The /pubsub envelope: a request or bad_request/too_large, and an error that encodes.</summary>
    public static void PubSub(byte[] data)
    {
        if (PubSubCodec.TryParse(data, null, out PubSubRequest request, out PubSubError error))
        {
            Check(!string.IsNullOrEmpty(request.Topic) && System.Text.Encoding.UTF8.GetByteCount(request.Topic) <= PubSubLimits.Default.MaxTopicBytes, "a topic within the limits");
            PubSubCodec.EncodeMessageFrame(PubSubCodec.EncodeTopic(request.Topic), request.Data.Span);
        }
        else
        {
            Check(error.Code is PubSubError.BadRequest or PubSubError.TooLarge, "bad_request or too_large");
            PubSubCodec.EncodeError(error);
        }
    }

    /// <summary>The cluster serializer, for each manifest: an object or a SerializationException.</summary>
    public static void Cluster(byte[] data)
    {
        if (data.Length == 0)
        {
            return;
        }

        string manifest = (data[0] % 3) switch { 0 => "M", 1 => "Q", _ => "E" };
        try
        {
            Serializer.FromBinary(data[1..], manifest);
        }
        catch (SerializationException)
        {
        }
    }

    private static void Check(bool condition, string invariant)
    {
        if (!condition)
        {
            throw new InvariantViolated(invariant);
        }
    }
}

/// <summary>What the targets share, made on first use.</summary>
internal static class Lazy
{
    public static readonly HttpParserOptions Http = new() { MaxHeadBytes = 2048, MaxHeaders = 20 };
    public static readonly ClusterTopicSerializer Serializer = new(null!);
}

/// <summary>A fuzz target's invariant did not hold.</summary>
public sealed class InvariantViolated(string invariant) : Exception("invariant violated: " + invariant);
