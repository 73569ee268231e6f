using System.Diagnostics;
using ActorSocket.Actors.Handlers;
using ActorSocket.Protocol;
using ActorSocket.Protocol.Http;
using Akka.Actor;

namespace ActorSocket.Actors.Connections;

/// <summary>
/// One client connection: owns its transport, its handshake parser and codec state, its keepalive
/// timers, and its handler actor. States: Starting (TLS) -> Handshaking -> Open -> Closing -> Ending.
/// </summary>
/// <remarks>
/// Connection actors are stopped, never restarted: codec state cannot be rebuilt mid-stream. When
/// the peer vanishes the actor fails with <see cref="ConnectionLostException"/> and its supervisor
/// reports the termination; every other ending is reported by the actor itself.
/// </remarks>
public sealed partial class ConnectionActor : UntypedActor, IWithTimers
{
    private readonly ITransport _transport;
    private readonly long _id;
    private readonly ServerContext _context;
    private readonly bool _overCapacity;
    private readonly CancellationTokenSource _cancellation = new();
    private readonly long _started = Stopwatch.GetTimestamp();
    private string _remote;
    private ReadLoop? _reader;
    private State _state = State.Starting;

    private long _messagesIn;
    private long _messagesOut;
    private long _bytesIn;
    private long _bytesOut;

    /// <summary>Creates the actor for an accepted transport.</summary>
    public ConnectionActor(ITransport transport, long id, ServerContext context, bool overCapacity)
    {
        _transport = transport;
        _id = id;
        _context = context;
        _overCapacity = overCapacity;
        _remote = transport.RemoteEndPoint?.ToString() ?? "unknown";
    }

    private enum State
    {
        Starting,
        Handshaking,
        Deciding,
        Responding,
        Open,
        Closing,
        Lingering,
        Ending,
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    private ConnectionSettings Settings => _context.Settings;

    /// <summary>Props for one connection.</summary>
    public static Props Props(ITransport transport, long id, ServerContext context, bool overCapacity)
    {
        Props props = Akka.Actor.Props.Create(() => new ConnectionActor(transport, id, context, overCapacity));
        return context.Settings.Mailbox is { } mailbox ? props.WithMailbox(mailbox) : props;
    }

    /// <summary>Tells a connection the server is shutting down: it closes with 1001.</summary>
    public sealed class Shutdown
    {
        /// <summary>The single instance.</summary>
        public static readonly Shutdown Instance = new();

        private Shutdown()
        {
        }
    }

    internal sealed record Received(byte[] Buffer, int Count);

    internal sealed record ReadEnded(Exception? Error);

    private sealed record Written(byte[] Buffer, int Count);

    private sealed record WriteFailed(byte[] Buffer, Exception Error);

    private sealed record TransportStarted(Exception? Error);

    private sealed record HttpAnswered(HttpResponse Response);

    private sealed class HandshakeTimeout
    {
        public static readonly HandshakeTimeout Instance = new();
    }

    private sealed class FlushNow
    {
        public static readonly FlushNow Instance = new();
    }

    private sealed class PingTick
    {
        public static readonly PingTick Instance = new();
    }

    private sealed class PongTimeout
    {
        public static readonly PongTimeout Instance = new();
    }

    private sealed class CloseTimeout
    {
        public static readonly CloseTimeout Instance = new();
    }

    private sealed class LingerTimeout
    {
        public static readonly LingerTimeout Instance = new();
    }

    private sealed class HandlerDrainTimeout
    {
        public static readonly HandlerDrainTimeout Instance = new();
    }

    private sealed class HandlerFlushTimeout
    {
        public static readonly HandlerFlushTimeout Instance = new();
    }

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
    protected override void PreStart()
    {
        Timers.StartSingleTimer(nameof(HandshakeTimeout), HandshakeTimeout.Instance, Settings.HandshakeTimeout);
        IActorRef self = Self;
        _transport.StartAsync(_cancellation.Token).ContinueWith(
            task => self.Tell(new TransportStarted(task.Exception?.GetBaseException() ?? (task.IsCanceled ? new OperationCanceledException() : null))),
            TaskContinuationOptions.ExecuteSynchronously);
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        ReportCounters();
        _cancellation.Cancel();
        _transport.Dispose();
        ReturnHead();
        _codec?.Dispose();
        if (_opened)
        {
            _context.Metrics.OpenConnections.Dec();
            if (!_reported)
            {
                // Stopped from outside (actor system shutdown) before it could end by itself.
                _reported = true;
                Report(Termination(TerminationCause.Shutdown, CloseCode.AbnormalClosure, "stopped"));
            }
        }

        _cancellation.Dispose();
    }

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Received received:
                OnReceived(received);
                break;
            case ReadEnded ended:
                OnReadEnded(ended.Error);
                break;
            case Written written:
                ConnectionBuffers.Pool.Return(written.Buffer);
                OnWritten(written.Count);
                Flush();
                break;
            case WriteFailed failed:
                ConnectionBuffers.Pool.Return(failed.Buffer);
                _sending = false;
                OnWriteFailed(failed.Error);
                break;
            case TransportStarted started:
                OnTransportStarted(started.Error);
                break;
            case HttpAnswered answered:
                Respond(answered.Response);
                break;
            case HookDecided decided:
                OnHookDecided(decided);
                break;
            case Connection.ICommand command:
                OnCommand(command);
                break;
            case Topics.TopicMessage topicMessage:
                OnTopicMessage(topicMessage);
                break;
            case Topics.TopicMessages topicMessages:
                OnTopicMessages(topicMessages);
                break;
            case FlushNow:
                OnFlushNow();
                break;
            case PingTick:
                OnPingTick();
                break;
            case PongTimeout:
                OnPongTimeout();
                break;
            case CloseTimeout:
                OnCloseTimeout();
                break;
            case HandshakeTimeout:
                OnHandshakeTimeout();
                break;
            case LingerTimeout:
                FinishLinger();
                break;
            case Shutdown:
                OnShutdown();
                break;
            case Terminated terminated when terminated.ActorRef.Equals(_handler):
                OnHandlerTerminated();
                break;
            case HandlerDrainTimeout:
                Finish();
                break;
            case ActorIdentity identity when identity.MessageId is long id && id == _id:
                AnswerPendingClose();
                break;
            case HandlerFlushTimeout:
                AnswerPendingClose();
                break;
            default:
                if (_inline is null || !InlineMessage(message))
                {
                    Unhandled(message);
                }

                break;
        }
    }

    private void OnReceived(Received received)
    {
        _bytesIn += received.Count;
        try
        {
            switch (_state)
            {
                case State.Handshaking:
                    OnHandshakeData(received.Buffer.AsSpan(0, received.Count));
                    break;
                case State.Open or State.Closing:
                    _codec!.ReceiveData(received.Buffer.AsSpan(0, received.Count));
                    ProcessEvents();
                    break;
                default:
                    break; // Responding, Lingering, Ending: what the peer still sends is discarded.
            }
        }
        finally
        {
            ConnectionBuffers.Pool.Return(received.Buffer);
        }

        if (_state is State.Open or State.Closing && !MayRead)
        {
            _readPaused = true; // the handler has a full window: the socket waits (TCP backpressure)
        }
        else if (_state is State.Handshaking or State.Open or State.Closing or State.Lingering or State.Responding)
        {
            _reader?.Continue();
        }
    }

    private void OnTransportStarted(Exception? error)
    {
        if (_state != State.Starting)
        {
            return;
        }

        if (error is not null)
        {
            // A failed TLS handshake: nothing was said in WebSocket terms yet.
            LogTlsFailure(error);
            Context.Stop(Self);
            return;
        }

        _state = State.Handshaking;
        _reader = new ReadLoop(_transport, Self, Settings.ReadBufferSize, _cancellation.Token);
        _reader.Start();
    }

    private void OnReadEnded(Exception? error)
    {
        switch (_state)
        {
            case State.Open or State.Closing:
                // The codec reports ConnectionLost; what it means here depends on who closed first.
                _codec!.ReceiveEof();
                while (_codec.TryReadEvent(out _))
                {
                }

                if (_codec.CloseSent && error is null)
                {
                    // We closed and the peer dropped TCP instead of answering: an end we asked for.
                    EndNormally(_closeCause, _sentCode, _sentReason);
                }
                else
                {
                    EndAbnormally(error is null ? TerminationCause.Eof : TerminationCause.Reset, CloseCode.AbnormalClosure, error is null ? "connection closed without a close frame" : error.Message);
                }

                break;
            case State.Lingering:
                FinishLinger();
                break;
            case State.Ending:
                break;
            default:
                // Before a WebSocket existed (probes, port scans, plain HTTP clients): nothing to report.
                Context.Stop(Self);
                break;
        }
    }

    private ConnectionTerminated Termination(TerminationCause cause, CloseCode code, string reason) =>
        new(
            _id,
            _remote,
            _request?.Path ?? string.Empty,
            code,
            reason,
            cause,
            (long)Stopwatch.GetElapsedTime(_started).TotalMilliseconds,
            _messagesIn,
            _messagesOut,
            _bytesIn,
            _bytesOut);
}
