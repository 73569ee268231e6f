using ActorSocket.Actors.Handlers;
using ActorSocket.Protocol;
using Akka.Actor;
using Microsoft.Extensions.Logging;

namespace ActorSocket.Actors.Connections;

public sealed partial class ConnectionActor
{
    private State _lingerFrom;
    private ConnectionTerminated? _termination;
    private bool _abnormal;
    private bool _reported;

    /// <summary>The connection ended with a close frame sent or received.</summary>
    private void EndNormally(TerminationCause cause, CloseCode code, string reason) =>
        End(Termination(cause, code, reason), abnormal: false);

    /// <summary>The peer vanished: after the handler has heard of it, the actor fails with <see cref="ConnectionLostException"/>.</summary>
    private void EndAbnormally(TerminationCause cause, CloseCode code, string reason)
    {
        _transport.Abort();
        End(Termination(cause, code, reason), abnormal: true);
    }

    private void End(ConnectionTerminated termination, bool abnormal)
    {
        if (_state == State.Ending)
        {
            return;
        }

        _state = State.Ending;
        ReleaseCountedAddress(); // before the termination is reported: the client may come back at once
        _termination = termination;
        _abnormal = abnormal;
        _cancellationSource?.Cancel();
        _transport.Dispose();
        CancelTimers();
        if (_handler is null)
        {
            Finish();
            return;
        }

        // The handler hears Disconnected after every message it was sent, then stops.
        _handler.Tell(new Handler.Disconnected(termination.CloseCode, termination.Reason));
        _handler.Tell(PoisonPill.Instance);
        _drainTimer = Schedule(Settings.HandlerDrainTimeout, HandlerDrainTimeout.Instance);
    }

    private void Finish()
    {
        if (_reported)
        {
            return;
        }

        _reported = true;
        if (_handler is not null)
        {
            Context.Stop(_handler);
        }

        if (_abnormal)
        {
            // The supervisor turns this into the termination event (see ConnectionsSupervisor).
            throw new ConnectionLostException(_termination!);
        }

        Report(_termination!);
        Context.Stop(Self);
    }

    private void Report(ConnectionTerminated termination) => Report(termination, _context, Context.System.EventStream);

    /// <summary>Logs a termination, counts it, and publishes it on the event stream.</summary>
    internal static void Report(ConnectionTerminated t, ServerContext context, Akka.Event.EventStream events)
    {
        context.Metrics.Count(t);
        if (t.IsAbnormal)
        {
            context.Logger.LogInformation(
                "Connection {ConnectionId} from {RemoteAddress} on {Path} lost ({Cause}): {CloseCode} {Reason} after {DurationMs} ms, {MessagesIn} messages in, {MessagesOut} out, {BytesIn} bytes in, {BytesOut} out",
                t.ConnectionId, t.RemoteAddress, t.Path, t.Cause.Name(), (int)t.CloseCode, t.Reason, t.DurationMs, t.MessagesIn, t.MessagesOut, t.BytesIn, t.BytesOut);
        }
        else
        {
            context.Logger.LogDebug(
                "Connection {ConnectionId} from {RemoteAddress} on {Path} closed ({Cause}): {CloseCode} {Reason} after {DurationMs} ms, {MessagesIn} messages in, {MessagesOut} out, {BytesIn} bytes in, {BytesOut} out",
                t.ConnectionId, t.RemoteAddress, t.Path, t.Cause.Name(), (int)t.CloseCode, t.Reason, t.DurationMs, t.MessagesIn, t.MessagesOut, t.BytesIn, t.BytesOut);
        }

        events.Publish(t);
    }
}
