using System.Buffers;
using System.Net;
using ActorSocket.Actors.Handlers;
using ActorSocket.Protocol;
using ActorSocket.Protocol.Http;
using Akka.Actor;
using Microsoft.Extensions.Logging;

namespace ActorSocket.Actors.Connections;

/// <summary>
/// Phase 2, Open: a WebSocket with its codec and its handler (an actor, or an inline handler called
/// on this actor's thread). Flow control: reading pauses while the handler holds a full window of
/// messages or the client owes us more than <see cref="ConnectionSettings.MaxOutboundBytes"/>. The
/// close handshake happens in this phase too; once both close frames are out and flushed, the
/// connection moves to Ending. Keepalive is in <c>ConnectionActor.Keepalive.cs</c>, inline handlers
/// in <c>ConnectionActor.Inline.cs</c>.
/// </summary>
internal sealed partial class ConnectionActor
{
    private WebSocketCodec? _codec;
    private IActorRef? _handler;
    private Exception? _handlerFailure;
    private CloseCode _sentCode = CloseCode.NormalClosure;
    private string _sentReason = string.Empty;
    private TerminationCause _closeCause = TerminationCause.Closed;
    private bool _closeInitiated;
    private bool _drainingHandler;
    private int _unacked;
    private int _inboundWindow;
    private bool _readPaused;
    private Queue<IActorRef>? _sendAcks;
    private ICancelable? _closeTimer;
    private ICancelable? _flushTimer;

    /// <summary>The handshake succeeded: the 101 goes out, the handler starts, the Handshaking phase's state is dropped.</summary>
    private void Accept(Route route, HandshakeDecision decision, object? identity, IPEndPoint? client)
    {
        HandshakeState handshake = _handshake!;
        HttpRequest request = handshake.Request!;
        if (client is not null && !client.Equals(_transport.RemoteEndPoint))
        {
            _remote = client.ToString(); // a trusted proxy named the client
        }

        _context.Metrics.Handshakes.WithLabels("101").Inc();
        _raw = new ArrayBufferWriter<byte>(256);
        decision.Response.WriteTo(_raw);
        _codec = new WebSocketCodec(Role.Server, Settings.ServerCodec, decision.Deflate);
        _phase = Phase.Open;
        _handshake = null;
        _context.Metrics.OpenConnections.Inc();
        var info = new ConnectionInfo(_id, request, (EndPoint?)client ?? _transport.RemoteEndPoint, decision.SubProtocol, decision.Deflate is not null, _transport.IsSecure, DateTimeOffset.UtcNow, identity, _transport.RemoteEndPoint);

        // The request goes to the handler, which keeps what it needs; this actor keeps only the path
        // (the route's own string when they are equal, so idle connections share it).
        _path = request.Path == route.Path ? route.Path : request.Path;
        _context.Logger.LogDebug("Connection {ConnectionId} from {RemoteAddress} opened {Path}", _id, Remote, _path);

        StartKeepalive();
        ExpireWith(identity);
        if (identity is Identity.ClientIdentity { User: { Length: > 0 } user })
        {
            IdentifiedAs(user);
        }

        // Messages handed to a handler and not yet taken by it are bounded: past the window the
        // socket is not read (websockets' max_queue). An inline handler counts requests it has not
        // answered yet; a handler actor's mailbox acknowledges what it takes; a flow acknowledges itself.
        switch (route.Handler)
        {
            case RouteHandler.Inline inline:
                _inboundWindow = Settings.InlinePending;
                _inline = inline.Create(info);
                break;
            case RouteHandler.Flow flow:
                _inboundWindow = FlowHandler.InboundWindow;
                StartHandlerActor(FlowHandler.Props(flow.Create), route.Dispatcher, info, acksItself: true);
                break;
            case RouteHandler.Actor actor:
                _inboundWindow = Settings.HandlerMailbox is not null ? Settings.HandlerQueue : 0;
                StartHandlerActor(actor.Props(info), route.Dispatcher, info, acksItself: false);
                break;
        }

        // Frames the client sent right behind its request (the 101 still goes out first).
        bool pipelined = handshake.HeadLength > handshake.Consumed;
        if (pipelined)
        {
            _codec.ReceiveData(handshake.Head.AsSpan(handshake.Consumed, handshake.HeadLength - handshake.Consumed));
        }

        handshake.Dispose(); // the handshake deadline and the head buffer go with the phase
        if (pipelined)
        {
            ProcessEvents();
            _readPaused = _phase == Phase.Open && !MayRead;
        }

        Flush();
    }

    private void StartHandlerActor(Props handlerProps, string? routeDispatcher, ConnectionInfo info, bool acksItself)
    {
        string? dispatcher = routeDispatcher ?? Settings.HandlerDispatcher;
        if (dispatcher is not null && (string.IsNullOrEmpty(handlerProps.Dispatcher) || handlerProps.Dispatcher == Akka.Dispatch.Dispatchers.DefaultDispatcherId))
        {
            handlerProps = handlerProps.WithDispatcher(dispatcher);
        }

        if (!acksItself && Settings.HandlerMailbox is { } mailbox && string.IsNullOrEmpty(handlerProps.Mailbox))
        {
            // The handler's mailbox acknowledges each message as the handler takes it (HandlerMailbox).
            handlerProps = handlerProps.WithMailbox(mailbox);
        }

        _handler = Context.ActorOf(handlerProps, "handler");
        Context.Watch(_handler);
        _handler.Tell(new Handler.Connected(info, Self, _context.Topics));
    }

    /// <summary>The messages of the Open phase.</summary>
    private bool Open(object message)
    {
        switch (message)
        {
            case Connection.ICommand command:
                OnCommand(command);
                return true;
            case KeepaliveClock.Due:
                OnKeepaliveDue();
                return true;
            case CloseTimeout when Fired(ref _closeTimer):
                OnCloseTimeout();
                return true;
            case Shutdown shutdown:
                _shuttingDown = true;
                StartClose(shutdown.Code, shutdown.Reason, TerminationCause.Closed);
                return true;
            case Terminated terminated when terminated.ActorRef.Equals(_handler):
                OnHandlerTerminated();
                return true;
            case ActorIdentity identity when identity.MessageId is long id && id == _id:
                AnswerPendingClose();
                return true;
            case HandlerFlushTimeout when Fired(ref _flushTimer):
                AnswerPendingClose();
                return true;
            case Tick:
                return true;
            case Api.ServerDisconnect disconnect:
                _context.Logger.LogInformation("Connection {ConnectionId} from {RemoteAddress}: its user was disconnected through the server API", _id, Remote);
                StartClose(Protocol.CloseCode.Disconnected, disconnect.Reason.Length > 0 ? disconnect.Reason : "disconnected", TerminationCause.Closed);
                return true;
            default:
                if (_inline is not null && InlineMessage(message))
                {
                    return true;
                }

                switch (message)
                {
                    // A server-side subscribe for a connection whose handler is not /pubsub's: nothing to do.
                    case Api.ServerSubscribe subscribe:
                        subscribe.ReplyTo.Tell(new Api.ServerActed(subscribe.Correlation, false));
                        return true;
                    case Api.ServerUnsubscribe unsubscribe:
                        unsubscribe.ReplyTo.Tell(new Api.ServerActed(unsubscribe.Correlation, false));
                        return true;
                }

                return OnTopicMessage(message);
        }
    }

    private void OnOpenData(ReadOnlySpan<byte> data)
    {
        // While a send is in flight the peer is not taking our bytes: answer only its latest ping.
        _codec!.CoalescePongs = _sending;
        _codec.ReceiveData(data);
        ProcessEvents();
        if (_phase == Phase.Open && !MayRead)
        {
            // The handler has a full queue, or the client has not taken what we owe it (pongs
            // included): the socket waits, and TCP backpressures the client.
            _readPaused = true;
        }
    }

    private void OnOpenReadEnded(Exception? error)
    {
        // The codec reports ConnectionLost; what it means here depends on who closed first.
        _codec!.ReceiveEof();
        while (_codec.TryReadEvent(out _))
        {
        }

        if (_codec.CloseSent && error is null)
        {
            // We closed and the peer dropped TCP instead of answering: an end we asked for.
            End(Termination(_closeCause, _sentCode, _sentReason), EndMode.Dispose);
        }
        else
        {
            End(Termination(error is null ? TerminationCause.Eof : TerminationCause.Reset, CloseCode.AbnormalClosure, error is null ? "connection closed without a close frame" : error.Message), EndMode.Abort);
        }
    }

    private void ProcessEvents()
    {
        // Replies queued while the events are handled leave in the Flush at the end: no FlushNow round trip.
        _processingEvents = true;
        try
        {
            HandleEvents();
        }
        finally
        {
            _processingEvents = false;
        }

        Flush();
    }

    private void HandleEvents()
    {
        WebSocketCodec codec = _codec!;
        // Events stop once the handler's window is full or the client owes us reading: what is left
        // stays in the codec's input (at most one read) until ResumeIfPaused picks it up.
        while (MayRead && codec.TryReadEvent(out WebSocketEvent ev))
        {
            switch (ev.Kind)
            {
                case WebSocketEventKind.Text:
                    _messagesIn++;
                    if (_inline is not null)
                    {
                        InlineText(ev.Payload);
                    }
                    else
                    {
                        _handler?.Tell(new Handler.TextMessage(ev.Payload.ToArray()));
                        CountUnacked();
                    }

                    break;
                case WebSocketEventKind.Binary:
                    _messagesIn++;
                    if (_inline is not null)
                    {
                        InlineBinary(ev.Payload);
                    }
                    else
                    {
                        _handler?.Tell(new Handler.BinaryMessage(ev.Payload.ToArray()));
                        CountUnacked();
                    }

                    break;
                case WebSocketEventKind.Pong:
                    OnPong(ev.Payload.Span);
                    break;
                case WebSocketEventKind.Ping:
                    break; // the codec queued the pong
                case WebSocketEventKind.Close:
                    // The peer's close frame; the codec queued ours in answer if we had not sent one.
                    if (!_closeInitiated)
                    {
                        _sentCode = ev.CloseCode;
                        _sentReason = ev.Reason ?? string.Empty;
                    }

                    break;
                case WebSocketEventKind.Failed:
                    _context.Logger.LogInformation("Connection {ConnectionId} from {RemoteAddress} broke the protocol: {CloseCode} {Problem}", _id, Remote, (int)ev.CloseCode, ev.Reason);
                    _sentCode = ev.CloseCode;
                    _sentReason = ev.Reason ?? string.Empty;
                    _closeCause = TerminationCause.ProtocolError;
                    break;
                case WebSocketEventKind.ConnectionLost:
                    break; // handled by OnOpenReadEnded
            }
        }

        if (codec.PendingCloseCode is not null && !_drainingHandler)
        {
            // The peer closed, or broke the protocol: the handler first answers what it was sent.
            DrainHandlerThenAnswerClose();
        }
    }

    /// <summary>Whether this side may still send frames: open, and no close frame sent.</summary>
    private bool MaySend => _phase == Phase.Open && !_codec!.CloseSent;

    private void OnCommand(Connection.ICommand command)
    {
        if (command is Connection.Ack)
        {
            OnHandlerAck();
            return;
        }

        if (!MaySend)
        {
            return; // sending after close is a race, not an error
        }

        WebSocketCodec codec = _codec!;
        bool sent;
        switch (command)
        {
            // First: a topic's delivery (the fan-out path), a frame encoded once for every subscriber.
            case Connection.SendEncodedFrame frame:
                sent = codec.SendEncodedFrame(frame.Frame);
                break;
            case Connection.SendEncodedFrames frames:
                SendFrames(frames.Frames);
                return;
            case Connection.SendTopicFrames frames:
                SendTopicFrames(frames);
                return;
            case Connection.SendAndAck { Message: WsMessage.Text text }:
                sent = codec.SendText(System.Text.Encoding.UTF8.GetBytes(text.Value));
                (_sendAcks ??= new Queue<IActorRef>()).Enqueue(Sender);
                break;
            case Connection.SendAndAck { Message: WsMessage.Binary binary }:
                sent = codec.SendBinary(binary.Data.Span);
                (_sendAcks ??= new Queue<IActorRef>()).Enqueue(Sender);
                break;
            case Connection.SendText text:
                sent = codec.SendText(text.Utf8.Span);
                break;
            case Connection.SendBinary binary:
                sent = codec.SendBinary(binary.Data.Span);
                break;
            case Connection.Close close:
                StartClose(close.Code, close.Reason ?? string.Empty, TerminationCause.Closed);
                return;
            default:
                return;
        }

        AfterSend(sent);
    }

    /// <summary>
    /// A topic message for a connection subscribed without a frame format (and not taken by its
    /// inline handler): the payload goes out as it is, a text or binary frame. Subscribed with a
    /// format, a connection receives <see cref="Connection.SendEncodedFrame"/> instead, encoded
    /// once for every subscriber.
    /// </summary>
    private bool OnTopicMessage(object message)
    {
        switch (message)
        {
            case Topics.TopicMessage one:
                if (MaySend)
                {
                    AfterSend(_codec!.SendEncodedFrame(Topics.TopicFrameFormat.Raw.FrameFor(one)));
                }

                return true;
            case Topics.TopicMessages many:
                if (MaySend)
                {
                    SendFrames(many.Messages.Select(Topics.TopicFrameFormat.Raw.FrameFor));
                }

                return true;
            default:
                return false;
        }
    }

    /// <summary>Several frames at once (a batch from a topic): one mailbox operation for all of them.</summary>
    private void SendFrames(IEnumerable<byte[]> frames)
    {
        foreach (byte[] frame in frames)
        {
            if (_codec!.SendEncodedFrame(frame))
            {
                _messagesOut++;
            }
        }

        AfterSend(false);
    }

    /// <summary>
    /// Whether the socket may be read again: not while the handler has a full queue of messages it
    /// has not taken, nor while more than <see cref="ConnectionSettings.MaxOutboundBytes"/> wait for
    /// the client (what we owe it, pongs and close frames included, grows only with what it sends).
    /// </summary>
    private bool MayRead =>
        (_inboundWindow == 0 || _unacked < _inboundWindow)
        && _codec!.OutgoingLength + _inflight <= Settings.MaxOutboundBytes;

    private void CountUnacked()
    {
        if (_inboundWindow > 0)
        {
            _unacked++;
        }
    }

    private void OnHandlerAck()
    {
        _unacked = Math.Max(0, _unacked - 1);
        ResumeIfPaused();
    }

    /// <summary>Reads again once what paused the socket (a full handler queue, a full outbound buffer) has cleared.</summary>
    private void ResumeIfPaused()
    {
        if (_readPaused && _phase == Phase.Open && MayRead)
        {
            // First the events already read and held back, which may fill the window again. Cleared
            // before, so that a write completing inside does not come back here.
            _readPaused = false;
            ProcessEvents();
            if (_phase == Phase.Open && !MayRead)
            {
                _readPaused = true;
            }
            else if (_phase == Phase.Open)
            {
                ResumeReading();
            }
        }
    }

    /// <summary>Answers <see cref="Connection.SendAndAck"/> senders while the outbound buffer is under half full.</summary>
    private void ReleaseSendAcks()
    {
        while (_sendAcks is { Count: > 0 } && (_codec is null || _codec.OutgoingLength + _inflight < Settings.MaxOutboundBytes / 2))
        {
            _sendAcks.Dequeue().Tell(Connection.Sent.Instance);
        }
    }

    private void AfterSend(bool sent)
    {
        if (sent)
        {
            _messagesOut++;
        }

        if (_codec!.OutgoingLength + _inflight > Settings.MaxOutboundBytes)
        {
            OnSlowConsumer();
            return;
        }

        ReleaseSendAcks();
        ScheduleFlush();
    }

    /// <summary>
    /// Lets the handler finish the messages it was already given before the close frame goes out:
    /// <see cref="Identify"/> travels through the handler's mailbox behind them, and every reply the
    /// handler sent meanwhile arrives here before the <see cref="ActorIdentity"/> does.
    /// </summary>
    private void DrainHandlerThenAnswerClose()
    {
        _drainingHandler = true;
        if (_handler is null)
        {
            AnswerPendingClose();
            return;
        }

        _handler.Tell(new Identify(_id));
        _flushTimer = Schedule(Settings.HandlerDrainTimeout, HandlerFlushTimeout.Instance);
    }

    private void AnswerPendingClose()
    {
        Cancel(ref _flushTimer);
        if (_phase == Phase.Open && _codec is { PendingCloseCode: { } code })
        {
            _codec.SendClose(code, _codec.PendingCloseReason);
            ProcessEvents();
        }
    }

    private void OnSlowConsumer()
    {
        _context.Logger.LogWarning("Connection {ConnectionId} from {RemoteAddress} is a slow consumer: more than {MaxOutboundBytes} bytes queued; closing with 1008", _id, Remote, Settings.MaxOutboundBytes);
        _context.Metrics.SlowConsumerCloses.Inc();
        // What is queued will never be read in time; only the close frame goes out.
        _codec!.ConsumeOutgoing(_codec.OutgoingLength);
        ClearDeferred();
        StartClose(CloseCode.PolicyViolation, "slow consumer", TerminationCause.SlowConsumer);
    }

    private void StartClose(CloseCode code, string reason, TerminationCause cause)
    {
        if (_phase != Phase.Open || _codec!.CloseSent)
        {
            return;
        }

        _sentCode = code;
        _sentReason = reason;
        _closeCause = cause;
        _closeInitiated = true;
        _codec.SendClose(code, reason);
        _closeTimer = Schedule(Settings.CloseTimeout, CloseTimeout.Instance);
        Flush();
    }

    private void OnCloseTimeout()
    {
        if (_closeCause == TerminationCause.SlowConsumer)
        {
            // A client too slow to read its backlog is too slow to read the close frame behind it.
            End(Termination(TerminationCause.SlowConsumer, CloseCode.PolicyViolation, "slow consumer"), EndMode.Abort);
            return;
        }

        End(Termination(_shuttingDown ? TerminationCause.Shutdown : TerminationCause.CloseTimeout, CloseCode.AbnormalClosure, "close handshake not completed in " + Settings.CloseTimeout.TotalSeconds + " s"), EndMode.Abort);
    }

    private void OnHandlerTerminated()
    {
        Context.Unwatch(_handler);
        _handler = null;
        if (_codec!.PendingCloseCode is not null)
        {
            AnswerPendingClose(); // nothing left to wait for
            return;
        }

        if (_handlerFailure is not null)
        {
            _context.Logger.LogError(_handlerFailure, "Handler of connection {ConnectionId} on {Path} failed; closing with 1011", _id, _path);
            StartClose(CloseCode.InternalError, "handler failed", TerminationCause.HandlerFailed);
        }
        else
        {
            // RFC 6455 7.4.1: 1000, "the purpose for which the connection was established has been fulfilled".
            StartClose(CloseCode.NormalClosure, string.Empty, TerminationCause.Closed);
        }
    }

    private sealed class CloseTimeout : Tick
    {
        public static readonly CloseTimeout Instance = new();
    }

    private sealed class HandlerFlushTimeout : Tick
    {
        public static readonly HandlerFlushTimeout Instance = new();
    }
}
