using ActorSocket.Protocol;
using Akka.Actor;
using Microsoft.Extensions.Logging;

namespace ActorSocket.Actors.Connections;

/// <summary>
/// Timers, and the Open phase's keepalive. Keepalive is an entry in the shared
/// <see cref="KeepaliveClock"/>; the other deadlines (handshake, write, close, linger, handler
/// drain) are scheduled only in the phase that needs them, each at most once at a time, so a timer
/// message (a <see cref="Tick"/>) that arrives after its cancellation is recognised by its field
/// being null.
/// </summary>
internal sealed partial class ConnectionActor
{
    private KeepaliveClock? _keepalive;
    private int _keepaliveSlot;
    private long _nextPingAt;
    private long _pongDeadline;
    private bool _awaitingPong;
    private int _pingCount;
    private long _midMessageSince = -1;
    private long _midMessageBytes;

    // A deadline the connection closes itself at (an identity's token expiry), in the keepalive
    // clock's milliseconds: long.MaxValue when there is none. It shares the keepalive entry.
    private long _deadlineAt = long.MaxValue;
    private Protocol.CloseCode _deadlineCode;
    private string _deadlineReason = string.Empty;

    private ICancelable Schedule(TimeSpan delay, Tick message) =>
        Context.System.Scheduler.ScheduleTellOnceCancelable(delay, Self, message, Self);

    private static void Cancel(ref ICancelable? timer)
    {
        timer?.Cancel();
        timer = null;
    }

    /// <summary>Whether a timer message is the live timer's (and forgets the timer): false after its cancellation.</summary>
    private static bool Fired(ref ICancelable? timer)
    {
        if (timer is null)
        {
            return false;
        }

        timer = null;
        return true;
    }

    private void CancelTimers()
    {
        Cancel(ref _closeTimer);
        Cancel(ref _flushTimer);
        Cancel(ref _writeTimer);
        if (_keepalive is not null)
        {
            _keepalive.Unregister(_keepaliveSlot);
            _keepalive = null;
        }
    }

    private void StartKeepalive()
    {
        _keepalive = KeepaliveClock.For(Context.System, Settings.PingInterval, Settings.PingTimeout);
        _nextPingAt = _keepalive.Now + (long)Settings.PingInterval.TotalMilliseconds;
        _keepaliveSlot = _keepalive.Register(Self, _nextPingAt);
    }

    /// <summary>Sets the keepalive entry to <paramref name="due"/>, or to the close deadline when that comes first.</summary>
    private void Arm(long due) => _keepalive?.Set(_keepaliveSlot, Math.Min(due, _deadlineAt));

    /// <summary>
    /// Closes the connection with <paramref name="code"/> once <paramref name="after"/> has passed
    /// (null: no deadline). Resolution: the keepalive clock's (at most 1 s late).
    /// </summary>
    private void SetDeadline(TimeSpan? after, Protocol.CloseCode code, string reason)
    {
        if (_keepalive is null)
        {
            return;
        }

        _deadlineAt = after is { } delay ? _keepalive.Now + (long)Math.Max(0, delay.TotalMilliseconds) : long.MaxValue;
        _deadlineCode = code;
        _deadlineReason = reason;
        Arm(_awaitingPong ? _pongDeadline : _nextPingAt);
    }

    /// <summary>The deadline of a token's expiry, when <paramref name="identity"/> has one: its <c>exp</c> plus the grace of <see cref="ConnectionSettings.TokenExpiryGrace"/>.</summary>
    private void ExpireWith(object? identity)
    {
        if (identity is Identity.ClientIdentity { ExpiresAt: { } expires })
        {
            SetDeadline(expires - Context.System.Scheduler.Now + Settings.TokenExpiryGrace, Protocol.CloseCode.TokenExpired, "token expired");
        }
    }

    /// <summary>The keepalive deadline passed: a ping is due, or the pong is late. Always leaves the next deadline set.</summary>
    private void OnKeepaliveDue()
    {
        if (_keepalive is null)
        {
            return;
        }

        long now = _keepalive.Now;
        if (now >= _deadlineAt)
        {
            _deadlineAt = long.MaxValue;
            _context.Logger.LogInformation("Connection {ConnectionId} from {RemoteAddress}: {Reason}; closing with {CloseCode}", _id, Remote, _deadlineReason, (int)_deadlineCode);
            _keepalive.Set(_keepaliveSlot, _awaitingPong ? _pongDeadline : _nextPingAt);
            StartClose(_deadlineCode, _deadlineReason, TerminationCause.Closed);
            return;
        }

        if (_awaitingPong)
        {
            if (now >= _pongDeadline)
            {
                OnPongTimeout();
                return;
            }

            Arm(_pongDeadline);
            return;
        }

        if (now < _nextPingAt || _codec!.CloseSent)
        {
            Arm(_nextPingAt);
            return;
        }

        if (TooSlowMidMessage())
        {
            return;
        }

        Span<byte> payload = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(payload, ++_pingCount);
        _codec.SendPing(payload);
        _awaitingPong = true;
        _pongDeadline = now + (long)Settings.PingTimeout.TotalMilliseconds;
        _nextPingAt = now + (long)Settings.PingInterval.TotalMilliseconds;
        Arm(_pongDeadline);
        Flush();
    }

    /// <summary>
    /// A pong arrived. Only the one that answers our last ping (its payload) proves the peer reads:
    /// an unsolicited pong (RFC 6455 5.5.3, a one-way heartbeat) is allowed but says nothing about
    /// whether the peer takes what we send, so it does not satisfy keepalive (as in websockets).
    /// </summary>
    private void OnPong(ReadOnlySpan<byte> payload)
    {
        if (_awaitingPong && payload.Length == 4 && System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(payload) == _pingCount)
        {
            _awaitingPong = false;
            Arm(_nextPingAt);
        }
    }

    /// <summary>
    /// Checked at each ping: a frame or message that was already in progress at the previous ping
    /// must have brought at least <see cref="ConnectionSettings.MinMessageRate"/> bytes per second
    /// since (as Kestrel's minimum request body rate). A client that trickles a message, answering
    /// pings in between, is dropped with 1008 instead of holding its buffers for ever.
    /// </summary>
    private bool TooSlowMidMessage()
    {
        if (Settings.MinMessageRate <= 0 || !_codec!.MessageInProgress)
        {
            _midMessageSince = -1;
            return false;
        }

        long now = _keepalive!.Now;
        if (_midMessageSince >= 0 && _bytesIn - _midMessageBytes < Settings.MinMessageRate * (now - _midMessageSince) / 1000.0)
        {
            _context.Logger.LogInformation("Connection {ConnectionId} from {RemoteAddress} sent a message at under {MinMessageRate} bytes/s; closing with 1008", _id, Remote, Settings.MinMessageRate);
            _codec.SendClose(CloseCode.PolicyViolation, "message too slow");
            Flush();
            End(Termination(TerminationCause.ProtocolError, CloseCode.PolicyViolation, "message too slow"), EndMode.Abort);
            return true;
        }

        if (_midMessageSince < 0 || _bytesIn - _midMessageBytes > 0)
        {
            _midMessageSince = now;
            _midMessageBytes = _bytesIn;
        }

        return false;
    }

    private void OnPongTimeout()
    {
        // The peer is unresponsive: tell it why if the socket still takes bytes, but do not wait.
        if (!_codec!.CloseSent)
        {
            _codec.SendClose(CloseCode.InternalError, "keepalive ping timeout");
            Flush();
        }

        End(Termination(TerminationCause.KeepaliveTimeout, CloseCode.InternalError, "keepalive ping timeout"), EndMode.Abort);
    }

    /// <summary>A timer message of this actor: ignored in a phase that no longer has its timer.</summary>
    private abstract class Tick
    {
    }
}
