using System.Diagnostics;
using ActorSocket.Actors.Transport;
using ActorSocket.Protocol;
using Akka.Actor;

namespace ActorSocket.Actors.Connections;

/// <summary>
/// One client connection, in three phases, each in a file of its own:
/// <list type="bullet">
/// <item><b>Handshaking</b> (<c>ConnectionActor.Handshaking.cs</c>): TLS, the request, the route,
/// the hooks, or a plain HTTP answer. Its state is a <see cref="HandshakeState"/> object that exists
/// only in this phase.</item>
/// <item><b>Open</b> (<c>ConnectionActor.Open.cs</c>, <c>.Keepalive.cs</c>, <c>.Inline.cs</c>): the
/// codec, the handler, flow control, keepalive and the close handshake; the actor's own fields.</item>
/// <item><b>Ending</b> (<c>ConnectionActor.Ending.cs</c>): lingering for the peer's FIN, the
/// handler's last messages, and the one report of the termination. Its state is an
/// <see cref="EndingState"/> object.</item>
/// </list>
/// Bytes arrive through one seam whatever the read strategy (<see cref="IReadSink"/>); writes go
/// out through <c>ConnectionActor.Writing.cs</c> in every phase.
/// </summary>
/// <remarks>
/// Connection actors are stopped, never restarted: codec state cannot be rebuilt mid-stream. Every
/// ending, expected or not, goes through <see cref="End"/>, which reports the termination once;
/// supervision is for real failures (bugs) only.
/// </remarks>
internal sealed partial class ConnectionActor : UntypedActor, IReadSink
{
    private readonly ServerContext _context;
    private readonly long _started = Stopwatch.GetTimestamp();
    private ITransport _transport = null!;
    private TransportReader? _reader;
    private long _id;
    private Phase _phase = Phase.Handshaking;
    private HandshakeState? _handshake;
    private EndingState? _ending;
    private bool _shuttingDown;
    private CancellationTokenSource? _cancellationSource;
    private string? _remote;
    private string? _path;
    private System.Net.IPAddress? _countedAddress;

    private long _messagesIn;
    private long _messagesOut;
    private long _bytesIn;
    private long _bytesOut;

    /// <summary>Creates a connection actor of <paramref name="context"/>'s server; its connection arrives in <see cref="Serve"/>.</summary>
    public ConnectionActor(ServerContext context) => _context = context;

    private enum Phase
    {
        Handshaking,
        Open,
        Ending,
    }

    private ConnectionSettings Settings => _context.Settings;

    /// <summary>
    /// Props for the connections of one server: one instance for all of them, so that a connection
    /// carries no props, deployment or argument objects of its own. Each actor then gets its
    /// connection as its first message, <see cref="Serve"/>.
    /// </summary>
    public static Props Props(ServerContext context)
    {
        Props props = Akka.Actor.Props.Create(() => new ConnectionActor(context));
        return context.Settings.Mailbox is { } mailbox ? props.WithMailbox(mailbox) : props;
    }

    /// <summary>The connection an actor made from <see cref="Props(ServerContext)"/> serves; its first message.</summary>
    /// <param name="Transport">The accepted transport; the actor owns it from now on.</param>
    /// <param name="Id">Server-unique connection id.</param>
    /// <param name="OverCapacity">Whether the server is at its connection limit: an upgrade gets 503, a plain HTTP request is answered.</param>
    /// <param name="CountedAddress">The address this connection was counted under by the per-address limits at accept, given back when it ends.</param>
    public sealed record Serve(ITransport Transport, long Id, bool OverCapacity, System.Net.IPAddress? CountedAddress = null);

    /// <summary>Tells a connection the server is shutting down: it closes with <paramref name="Code"/> (1001 unless said otherwise).</summary>
    /// <param name="Code">The close code.</param>
    /// <param name="Reason">The close reason.</param>
    public sealed record Shutdown(Protocol.CloseCode Code, string Reason)
    {
        /// <summary>The server stops: 1001.</summary>
        public static readonly Shutdown Instance = new(Protocol.CloseCode.GoingAway, "server shutting down");
    }

    /// <summary>The client's address for logs and events (what a trusted proxy named, or the socket's peer); made when first needed.</summary>
    private string Remote => _remote ??= _transport?.RemoteEndPoint?.ToString() ?? "unknown";

    /// <summary>Cancels what runs for this connection outside the actor (handshake hooks); made when first needed.</summary>
    private CancellationToken Cancellation => (_cancellationSource ??= new CancellationTokenSource()).Token;

    /// <inheritdoc />
    protected override SupervisorStrategy SupervisorStrategy() =>
        // A handler that throws is stopped; its connection closes with 1011 (see OnHandlerTerminated).
        new OneForOneStrategy(
            error =>
            {
                _handlerFailure = error;
                return Directive.Stop;
            },
            loggingEnabled: false);

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        // What every phase handles alike: reads, writes, and the first message.
        switch (message)
        {
            case ReadSignal signal:
                _reader?.OnSignal(signal, this); // calls OnBytes or OnReadEnded, whatever the read strategy
                return;
            case Written written:
                ConnectionBuffers.Pool.Return(written.Buffer);
                OnWritten(written.Count);
                Flush();
                return;
            case WriteFailed failed:
                ConnectionBuffers.Pool.Return(failed.Buffer);
                _sending = false;
                OnWriteFailed(failed.Error);
                return;
            case FlushNow:
                OnFlushNow();
                return;
            case WriteTimeout when Fired(ref _writeTimer):
                OnWriteTimeout();
                return;
            case Serve serve:
                OnServe(serve);
                return;
        }

        bool handled = _phase switch
        {
            Phase.Handshaking => Handshaking(message),
            Phase.Open => Open(message),
            _ => Ending(message),
        };
        if (!handled && message is not Tick)
        {
            Unhandled(message); // a Tick is a timer cancelled after it fired: nothing to do
        }
    }

    /// <inheritdoc />
    bool IReadSink.WantsBytes => _phase switch
    {
        Phase.Handshaking => _handshake!.Step is HandshakeStep.Reading or HandshakeStep.ReadingBody or HandshakeStep.Routing or HandshakeStep.Responding,
        Phase.Open => !_readPaused,
        _ => _ending!.Lingering,
    };

    /// <summary>Handles one chunk read from the socket.</summary>
    void IReadSink.OnBytes(ReadOnlySpan<byte> data)
    {
        _bytesIn += data.Length;
        switch (_phase)
        {
            case Phase.Handshaking when _handshake!.Step == HandshakeStep.Reading:
                OnHandshakeData(data);
                break;
            case Phase.Handshaking when _handshake!.Step == HandshakeStep.ReadingBody:
                OnBodyData(data);
                break;
            case Phase.Handshaking when _handshake!.Step is HandshakeStep.Routing or HandshakeStep.Responding:
                OnEarlyData(data); // the next request, on a kept-alive connection; discarded otherwise
                break;
            case Phase.Open:
                OnOpenData(data);
                break;
            default:
                break; // an HTTP answer or the end under way: what the peer still sends is discarded
        }
    }

    /// <summary>The peer ended its side (<paramref name="error"/> null) or reading failed.</summary>
    void IReadSink.OnReadEnded(Exception? error)
    {
        switch (_phase)
        {
            case Phase.Handshaking:
                // Before a WebSocket existed (probes, port scans, plain HTTP clients): nothing to report.
                End(null, EndMode.Abort);
                break;
            case Phase.Open:
                OnOpenReadEnded(error);
                break;
            default:
                FinishLinger();
                break;
        }
    }

    /// <summary>Reads again after a pause (hooks decided, the handler acknowledged).</summary>
    private void ResumeReading() => _reader?.Resume();

    private void OnServe(Serve serve)
    {
        if (_transport is not null)
        {
            serve.Transport.Dispose(); // one connection per actor: a second one is refused, not leaked
            return;
        }

        _transport = serve.Transport;
        _id = serve.Id;
        _countedAddress = serve.CountedAddress;
        StartHandshake(serve.OverCapacity);
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        if (_transport is null)
        {
            return; // stopped before its connection arrived
        }

        ReportCounters();
        CancelTimers();
        ReleaseCountedAddress();
        ForgetUser();
        _reader?.Stop();
        _cancellationSource?.Cancel();
        _transport.Dispose();
        _handshake?.Dispose();
        _codec?.Dispose();
        if (_codec is not null)
        {
            _context.Metrics.OpenConnections.Dec();
            if (_ending is not { Finished: true })
            {
                // An open connection always ends with a termination to report, which Finish reported.
                // Stopped from outside (actor system shutdown) before it could end by itself.
                Report(Termination(TerminationCause.Shutdown, CloseCode.AbnormalClosure, "stopped"));
            }
        }

        _cancellationSource?.Dispose();
    }

    /// <summary>
    /// Gives back this connection's place in the per-address limits (counted at accept, or for the
    /// client a trusted proxy named); once, as soon as the connection ends.
    /// </summary>
    private void ReleaseCountedAddress()
    {
        if (_countedAddress is not null)
        {
            _context.AddressLimits.Release(_countedAddress);
            _countedAddress = null;
        }
    }

    private ConnectionTerminated Termination(TerminationCause cause, CloseCode code, string reason) =>
        new(
            _id,
            Remote,
            _path ?? _handshake?.Request?.Path ?? string.Empty,
            code,
            reason,
            cause,
            (long)Stopwatch.GetElapsedTime(_started).TotalMilliseconds,
            _messagesIn,
            _messagesOut,
            _bytesIn,
            _bytesOut);
}
