using ActorSocket.Actors.Handlers;
using ActorSocket.Protocol;
using Akka.Actor;
using Microsoft.Extensions.Logging;

namespace ActorSocket.Actors.Connections;

public sealed partial class ConnectionActor
{
    private WebSocketCodec? _codec;
    private IActorRef? _handler;
    private Exception? _handlerFailure;
    private bool _opened;
    private bool _shuttingDown;
    private CloseCode _sentCode = CloseCode.NormalClosure;
    private string _sentReason = string.Empty;
    private TerminationCause _closeCause = TerminationCause.Closed;
    private bool _closeInitiated;
    private bool _drainingHandler;
    private int _unacked;
    private int _inboundWindow;
    private bool _readPaused;
    private Queue<IActorRef>? _sendAcks;

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
                    break; // handled by OnReadEnded
            }
        }

        if (codec.PendingCloseCode is not null && !_drainingHandler)
        {
            // The peer closed, or broke the protocol: the handler first answers what it was sent.
            DrainHandlerThenAnswerClose();
        }

        if (codec.State == CodecState.Closed && _state is State.Open or State.Closing)
        {
            // Both close frames exchanged, or the connection failed: send what is queued, then close.
            _state = State.Closing;
            _closeWhenFlushed = true;
        }
    }

    private void OnCommand(Connection.ICommand command)
    {
        if (command is Connection.Ack)
        {
            OnHandlerAck();
            return;
        }

        if (_state is not (State.Open or State.Closing) || _codec!.CloseSent)
        {
            return; // sending after close is a race, not an error
        }

        bool sent;
        switch (command)
        {
            case Connection.SendAndAck { Message: WsMessage.Text text }:
                sent = _codec.SendText(System.Text.Encoding.UTF8.GetBytes(text.Value));
                (_sendAcks ??= new Queue<IActorRef>()).Enqueue(Sender);
                break;
            case Connection.SendAndAck { Message: WsMessage.Binary binary }:
                sent = _codec.SendBinary(binary.Data.Span);
                (_sendAcks ??= new Queue<IActorRef>()).Enqueue(Sender);
                break;
            case Connection.SendText text:
                sent = _codec.SendText(text.Utf8.Span);
                break;
            case Connection.SendBinary binary:
                sent = _codec.SendBinary(binary.Data.Span);
                break;
            case Connection.SendEncodedFrame frame:
                sent = _codec.SendEncodedFrame(frame.Frame);
                break;
            case Connection.Close close:
                StartClose(close.Code, close.Reason ?? string.Empty, TerminationCause.Closed);
                return;
            default:
                return;
        }

        AfterSend(sent);
    }

    /// <summary>A subscribed topic delivers its frame, encoded once for every subscriber: no copy, no allocation here.</summary>
    private void OnTopicMessage(Topics.TopicMessage message)
    {
        if (_state is State.Open or State.Closing && !_codec!.CloseSent)
        {
            AfterSend(_codec.SendEncodedFrame(message.Frame));
        }
    }

    /// <summary>Several frames from a topic at once (a batch from another node): one mailbox operation for all.</summary>
    private void OnTopicMessages(Topics.TopicMessages messages)
    {
        if (_state is State.Open or State.Closing && !_codec!.CloseSent)
        {
            foreach (Topics.TopicMessage message in messages.Messages)
            {
                if (_codec.SendEncodedFrame(message.Frame))
                {
                    _messagesOut++;
                }
            }

            AfterSend(false);
        }
    }

    /// <summary>
    /// Whether the socket may be read again: not while the handler has a full queue of messages it
    /// has not taken, nor while more than <see cref="ConnectionSettings.MaxOutboundBytes"/> wait for
    /// the client (what we owe it, pongs and close frames included, grows only with what it sends).
    /// </summary>
    private bool MayRead =>
        (_inboundWindow == 0 || _unacked < _inboundWindow)
        && (_codec is null || _codec.OutgoingLength + _inflight <= Settings.MaxOutboundBytes);

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
        if (_readPaused && MayRead && _state is State.Open or State.Closing)
        {
            // First the events already read and held back, which may fill the window again. Cleared
            // before, so that a write completing inside does not come back here.
            _readPaused = false;
            ProcessEvents();
            if (!MayRead)
            {
                _readPaused = true;
            }
            else if (_state is State.Open or State.Closing)
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
        if (_codec is { PendingCloseCode: { } code } && _state is State.Open or State.Closing)
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
        StartClose(CloseCode.PolicyViolation, "slow consumer", TerminationCause.SlowConsumer);
    }

    private void StartClose(CloseCode code, string reason, TerminationCause cause)
    {
        if (_codec is null || _codec.CloseSent)
        {
            return;
        }

        _sentCode = code;
        _sentReason = reason;
        _closeCause = cause;
        _closeInitiated = true;
        _codec.SendClose(code, reason);
        _state = _codec.State == CodecState.Closed ? State.Closing : _state;
        _closeTimer = Schedule(Settings.CloseTimeout, CloseTimeout.Instance);
        Flush();
    }

    private void OnCloseTimeout()
    {
        if (_state is not (State.Open or State.Closing))
        {
            return;
        }

        if (_closeCause == TerminationCause.SlowConsumer)
        {
            // A client too slow to read its backlog is too slow to read the close frame behind it.
            EndAbnormally(TerminationCause.SlowConsumer, CloseCode.PolicyViolation, "slow consumer");
            return;
        }

        EndAbnormally(_shuttingDown ? TerminationCause.Shutdown : TerminationCause.CloseTimeout, CloseCode.AbnormalClosure, "close handshake not completed in " + Settings.CloseTimeout.TotalSeconds + " s");
    }

    private void OnShutdown()
    {
        _shuttingDown = true;
        switch (_state)
        {
            case State.Open:
                StartClose(CloseCode.GoingAway, "server shutting down", TerminationCause.Closed);
                break;
            case State.Starting or State.Handshaking:
                Context.Stop(Self);
                break;
        }
    }

    private void OnHandlerTerminated()
    {
        Context.Unwatch(_handler);
        _handler = null;
        if (_state == State.Ending)
        {
            Finish();
            return;
        }

        if (_codec?.PendingCloseCode is not null)
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
}
