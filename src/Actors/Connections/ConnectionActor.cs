using System.Diagnostics;
using ActorSocket.Actors.Handlers;
using ActorSocket.Protocol;
using ActorSocket.Protocol.Http;
using Akka.Actor;
using Microsoft.Extensions.Logging;

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
public sealed partial class ConnectionActor : UntypedActor
{
    private readonly ServerContext _context;
    private readonly long _started = Stopwatch.GetTimestamp();
    private ITransport _transport = null!;
    private long _id;
    private bool _overCapacity;
    private CancellationTokenSource? _cancellationSource;
    private string? _remote;
    private string? _path;
    private ReadLoop? _reader;
    private SocketTransport? _pollable;
    private State _state = State.Starting;

    private long _messagesIn;
    private long _messagesOut;
    private long _bytesIn;
    private long _bytesOut;

    /// <summary>Creates a connection actor of <paramref name="context"/>'s server; its connection arrives in <see cref="Serve"/>.</summary>
    public ConnectionActor(ServerContext context) => _context = context;

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

    /// <summary>The client's address for logs and events (what a trusted proxy named, or the socket's peer); made when first needed.</summary>
    private string Remote => _remote ??= _transport?.RemoteEndPoint?.ToString() ?? "unknown";

    /// <summary>Cancels what runs for this connection outside the actor (hooks, asynchronous reads); made when first needed.</summary>
    private CancellationToken Cancellation => (_cancellationSource ??= new CancellationTokenSource()).Token;

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

    private sealed class WriteTimeout
    {
        public static readonly WriteTimeout Instance = new();
    }

    private sealed class FlushNow
    {
        public static readonly FlushNow Instance = new();
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
        _overCapacity = serve.OverCapacity;
        _handshakeTimer = Schedule(Settings.HandshakeTimeout, HandshakeTimeout.Instance);

        // No token: ending the connection disposes the transport, which ends a TLS handshake in progress.
        Task started = _transport.StartAsync(CancellationToken.None);
        if (started.IsCompletedSuccessfully)
        {
            OnTransportStarted(null); // plain TCP: nothing to wait for, no message round trip
            return;
        }

        IActorRef self = Self;
        started.ContinueWith(
            task => self.Tell(new TransportStarted(task.Exception?.GetBaseException() ?? (task.IsCanceled ? new OperationCanceledException() : null))),
            TaskContinuationOptions.ExecuteSynchronously);
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

        _cancellationSource?.Cancel();
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

        _cancellationSource?.Dispose();
    }

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case ReadinessPoller.ReadReady:
                PumpReads();
                break;
            case Serve serve:
                OnServe(serve);
                break;
            case Received received:
                if (OnData(received.Buffer, received.Count))
                {
                    _reader?.Continue();
                }

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
            case KeepaliveClock.Due:
                OnKeepaliveDue();
                break;
            case CloseTimeout when Fired(ref _closeTimer):
                OnCloseTimeout();
                break;
            case WriteTimeout when Fired(ref _writeTimer):
                OnWriteTimeout();
                break;
            case HandshakeTimeout when Fired(ref _handshakeTimer):
                OnHandshakeTimeout();
                break;
            case LingerTimeout when Fired(ref _lingerTimer):
                FinishLinger();
                break;
            case Shutdown:
                OnShutdown();
                break;
            case Terminated terminated when terminated.ActorRef.Equals(_handler):
                OnHandlerTerminated();
                break;
            case HandlerDrainTimeout when Fired(ref _drainTimer):
                Finish();
                break;
            case ActorIdentity identity when identity.MessageId is long id && id == _id:
                AnswerPendingClose();
                break;
            case HandlerFlushTimeout when Fired(ref _flushTimer):
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

    /// <summary>Handles one chunk read from the socket and returns its buffer to the pool.</summary>
    /// <returns>Whether the socket may be read again now.</returns>
    private bool OnData(byte[] buffer, int count)
    {
        _bytesIn += count;
        try
        {
            switch (_state)
            {
                case State.Handshaking:
                    OnHandshakeData(buffer.AsSpan(0, count));
                    break;
                case State.Open or State.Closing:
                    // While a send is in flight the peer is not taking our bytes: answer only its latest ping.
                    _codec!.CoalescePongs = _sending;
                    _codec.ReceiveData(buffer.AsSpan(0, count));
                    ProcessEvents();
                    break;
                default:
                    break; // Responding, Lingering, Ending: what the peer still sends is discarded.
            }
        }
        finally
        {
            ConnectionBuffers.Pool.Return(buffer);
        }

        if (_state is State.Open or State.Closing && !MayRead)
        {
            // The handler has a full queue, or the client has not taken what we owe it (pongs
            // included): the socket waits, and TCP backpressures the client.
            _readPaused = true;
            return false;
        }

        return IsReading;
    }

    /// <summary>The states in which the socket is read (Deciding waits for the hooks; Starting and Ending read nothing).</summary>
    private bool IsReading => _state is State.Handshaking or State.Open or State.Closing or State.Lingering or State.Responding;

    /// <summary>
    /// Reads a readiness-watched socket (<see cref="SocketTransport.WatchReadable"/>) until it is
    /// empty, the connection stops reading, or a few full buffers were taken; then the rest waits
    /// behind the other messages in the mailbox, so one busy client cannot hold the actor's thread.
    /// </summary>
    private void PumpReads()
    {
        const int MaxReadsPerTurn = 4;
        SocketTransport? socket = _pollable;
        for (int round = 0; round < MaxReadsPerTurn; round++)
        {
            if (socket is null || !IsReading || _readPaused)
            {
                return;
            }

            byte[] buffer = ConnectionBuffers.Pool.Rent(Settings.ReadBufferSize);
            int count = socket.Receive(buffer, out System.Net.Sockets.SocketError error);
            if (count > 0)
            {
                bool full = count == buffer.Length;
                if (!OnData(buffer, count) || !full)
                {
                    return; // a short read emptied the socket: the poller tells when more arrives
                }

                continue;
            }

            ConnectionBuffers.Pool.Return(buffer);
            if (count == 0)
            {
                OnReadEnded(null);
            }
            else if (error != System.Net.Sockets.SocketError.WouldBlock)
            {
                OnReadEnded(new System.Net.Sockets.SocketException((int)error));
            }

            return;
        }

        Self.Tell(ReadinessPoller.ReadReady.Instance);
    }

    /// <summary>Reads again after a pause (hooks decided, the handler acknowledged).</summary>
    private void ResumeReading()
    {
        if (_pollable is not null)
        {
            Self.Tell(ReadinessPoller.ReadReady.Instance);
        }
        else
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
        if (_transport is SocketTransport socket && WatchReadable(socket))
        {
            _pollable = socket;
            PumpReads(); // what arrived before the registration
            return;
        }

        _reader = new ReadLoop(_transport, Self, Settings.ReadBufferSize, Cancellation);
        _reader.Start();
    }

    private bool WatchReadable(SocketTransport socket)
    {
        try
        {
            return socket.WatchReadable(Self);
        }
        catch (Exception error) when (error is System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            _context.Logger.LogDebug("Connection {ConnectionId} from {RemoteAddress} could not be watched for reads: {Problem}", _id, Remote, error.Message);
            return false; // the asynchronous path reports what is wrong with the socket
        }
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
            Remote,
            _path ?? _request?.Path ?? string.Empty,
            code,
            reason,
            cause,
            (long)Stopwatch.GetElapsedTime(_started).TotalMilliseconds,
            _messagesIn,
            _messagesOut,
            _bytesIn,
            _bytesOut);
}
