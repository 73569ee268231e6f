using ActorSocket.Actors.Handlers;
using Akka.Actor;
using Microsoft.Extensions.Logging;

namespace ActorSocket.Actors.Connections;

/// <summary>
/// Phase 3, Ending: every ending goes through <see cref="End"/>, once. A clean end first lingers
/// (our FIN sent, reading on until the peer's, two seconds at most, so the kernel does not reset the
/// connection under the peer's last reads); then the handler hears
/// <see cref="Handler.Disconnected"/> after everything it was sent, and stops; then the termination
/// is reported, once, and the actor stops.
/// </summary>
internal sealed partial class ConnectionActor
{
    private static readonly TimeSpan LingerTime = TimeSpan.FromSeconds(2);

    /// <summary>How the transport ends.</summary>
    private enum EndMode
    {
        /// <summary>Everything was sent: FIN, then wait for the peer's (bounded by <see cref="LingerTime"/>).</summary>
        Linger,

        /// <summary>Close the socket now (the peer is gone already).</summary>
        Dispose,

        /// <summary>Reset the connection: the peer is not waited for.</summary>
        Abort,
    }

    /// <summary>
    /// Ends the connection: <paramref name="termination"/> is what is reported when the handler has
    /// stopped, or null when there is nothing to report (no WebSocket was opened).
    /// </summary>
    private void End(ConnectionTerminated? termination, EndMode mode)
    {
        if (_phase == Phase.Ending)
        {
            return;
        }

        _phase = Phase.Ending;
        _ending = new EndingState { Termination = termination };
        ReleaseCountedAddress(); // before the termination is reported: the client may come back at once
        _cancellationSource?.Cancel();
        CancelTimers();
        _handshake?.Dispose();
        _handshake = null;
        if (mode == EndMode.Linger)
        {
            _transport.ShutdownSend();
            _ending.Lingering = true;
            _ending.LingerTimer = Schedule(LingerTime, LingerTimeout.Instance);
            return;
        }

        _reader?.Stop();
        if (mode == EndMode.Abort)
        {
            _transport.Abort();
        }
        else
        {
            _transport.Dispose();
        }

        StopHandler();
    }

    /// <summary>The messages of the Ending phase; anything else (a late command, a topic message) is dropped.</summary>
    private bool Ending(object message)
    {
        switch (message)
        {
            case LingerTimeout when Fired(ref _ending!.LingerTimer):
                FinishLinger();
                break;
            case Terminated terminated when terminated.ActorRef.Equals(_handler):
                _handler = null;
                if (!_ending!.Lingering)
                {
                    Finish();
                }

                break;
            case HandlerDrainTimeout when Fired(ref _ending!.DrainTimer):
                Finish();
                break;
        }

        return true;
    }

    /// <summary>The peer's FIN arrived, or the linger deadline passed.</summary>
    private void FinishLinger()
    {
        EndingState ending = _ending!;
        if (!ending.Lingering)
        {
            return;
        }

        ending.Lingering = false;
        Cancel(ref ending.LingerTimer);
        _reader?.Stop();
        _transport.Dispose();
        StopHandler();
    }

    /// <summary>The handler hears <see cref="Handler.Disconnected"/> after every message it was sent, then stops.</summary>
    private void StopHandler()
    {
        if (_handler is null)
        {
            Finish();
            return;
        }

        ConnectionTerminated? termination = _ending!.Termination;
        _handler.Tell(new Handler.Disconnected(termination?.CloseCode ?? Protocol.CloseCode.AbnormalClosure, termination?.Reason ?? string.Empty));
        _handler.Tell(PoisonPill.Instance);
        _ending.DrainTimer = Schedule(Settings.HandlerDrainTimeout, HandlerDrainTimeout.Instance);
    }

    private void Finish()
    {
        EndingState ending = _ending!;
        if (ending.Finished)
        {
            return;
        }

        ending.Finished = true;
        Cancel(ref ending.DrainTimer);
        if (_handler is not null)
        {
            Context.Stop(_handler); // it did not stop within the drain timeout
        }

        if (ending.Termination is { } termination)
        {
            Report(termination);
        }

        Context.Stop(Self);
    }

    /// <summary>Logs a termination, counts it, and publishes it on the event stream.</summary>
    private void Report(ConnectionTerminated t)
    {
        _context.Metrics.Count(t);
        if (t.IsAbnormal)
        {
            _context.Logger.LogInformation(
                "Connection {ConnectionId} from {RemoteAddress} on {Path} lost ({Cause}): {CloseCode} {Reason} after {DurationMs} ms, {MessagesIn} messages in, {MessagesOut} out, {BytesIn} bytes in, {BytesOut} out",
                t.ConnectionId, t.RemoteAddress, t.Path, t.Cause.Name(), (int)t.CloseCode, t.Reason, t.DurationMs, t.MessagesIn, t.MessagesOut, t.BytesIn, t.BytesOut);
        }
        else
        {
            _context.Logger.LogDebug(
                "Connection {ConnectionId} from {RemoteAddress} on {Path} closed ({Cause}): {CloseCode} {Reason} after {DurationMs} ms, {MessagesIn} messages in, {MessagesOut} out, {BytesIn} bytes in, {BytesOut} out",
                t.ConnectionId, t.RemoteAddress, t.Path, t.Cause.Name(), (int)t.CloseCode, t.Reason, t.DurationMs, t.MessagesIn, t.MessagesOut, t.BytesIn, t.BytesOut);
        }

        Context.System.EventStream.Publish(t);
    }

    /// <summary>What only the Ending phase holds.</summary>
    private sealed class EndingState
    {
        public ConnectionTerminated? Termination;
        public bool Lingering;
        public ICancelable? LingerTimer;
        public ICancelable? DrainTimer;
        public bool Finished;
    }

    private sealed class LingerTimeout : Tick
    {
        public static readonly LingerTimeout Instance = new();
    }

    private sealed class HandlerDrainTimeout : Tick
    {
        public static readonly HandlerDrainTimeout Instance = new();
    }
}
