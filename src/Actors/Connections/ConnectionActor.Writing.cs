using System.Buffers;
using ActorSocket.Actors.Metrics;
using ActorSocket.Actors.Transport;
using Akka.Actor;
using Microsoft.Extensions.Logging;

namespace ActorSocket.Actors.Connections;

/// <summary>
/// The write path, the same in every phase: at most one send in flight, frames queued meanwhile
/// leave together in the next one, and a send the client does not take within
/// <see cref="ConnectionSettings.WriteTimeout"/> ends the connection.
/// </summary>
internal sealed partial class ConnectionActor
{
    private ArrayBufferWriter<byte>? _raw;
    private bool _sending;
    private int _inflight;
    private ICancelable? _writeTimer;
    private int _writeGeneration;
    private int _writeTimerGeneration;
    private bool _flushScheduled;
    private bool _processingEvents;
    private long _reportedMessagesIn;
    private long _reportedMessagesOut;
    private long _reportedBytesIn;
    private long _reportedBytesOut;

    /// <summary>
    /// Sends what is queued once the messages already in the mailbox have been handled: a burst of
    /// replies or deliveries leaves in one write instead of one write each. A send in flight
    /// already guarantees a flush when it completes.
    /// </summary>
    private void ScheduleFlush()
    {
        if (_sending || _flushScheduled || _processingEvents)
        {
            return;
        }

        _flushScheduled = true;
        Self.Tell(FlushNow.Instance);
    }

    private void OnFlushNow()
    {
        _flushScheduled = false;
        Flush();
    }

    /// <summary>
    /// Starts a send of everything queued unless one is in flight: at most one send at a time, and
    /// frames queued meanwhile go out together in the next one (write coalescing).
    /// </summary>
    private void Flush()
    {
        FlushQueued();
        ReportCounters();
    }

    /// <summary>
    /// Adds this connection's new messages and bytes to the shared Prometheus counters: once per
    /// flush rather than once per message, so that busy connections on different cores do not
    /// contend for the counters' cache lines on every frame.
    /// </summary>
    private void ReportCounters()
    {
        ServerMetrics metrics = _context.Metrics;
        Report(metrics.MessagesIn, _messagesIn, ref _reportedMessagesIn);
        Report(metrics.MessagesOut, _messagesOut, ref _reportedMessagesOut);
        Report(metrics.BytesIn, _bytesIn, ref _reportedBytesIn);
        Report(metrics.BytesOut, _bytesOut, ref _reportedBytesOut);
    }

    private static void Report(Prometheus.Counter counter, long total, ref long reported)
    {
        if (total != reported)
        {
            counter.Inc(total - reported);
            reported = total;
        }
    }

    private void FlushQueued()
    {
        while (!_sending && _phase != Phase.Ending)
        {
            int length;
            byte[] buffer;
            if (_raw is { WrittenCount: > 0 })
            {
                length = _raw.WrittenCount;
                buffer = ConnectionBuffers.Pool.Rent(length);
                _raw.WrittenSpan.CopyTo(buffer);
                _raw = null;
            }
            else if (_codec is { OutgoingLength: > 0 })
            {
                length = _codec.OutgoingLength;
                buffer = ConnectionBuffers.Pool.Rent(length);
                _codec.PeekOutgoing().CopyTo(buffer);
                _codec.ConsumeOutgoing(length);
            }
            else
            {
                if (DoneWhenFlushed)
                {
                    // Both close frames exchanged (or the connection failed), or an HTTP answer is out.
                    End(_phase == Phase.Open ? Termination(_closeCause, _sentCode, _sentReason) : null, EndMode.Linger);
                }
                else if (_phase == Phase.Handshaking && _handshake!.Step == HandshakeStep.Responding)
                {
                    NextRequest(); // a kept-alive answer is out
                }

                return;
            }

            _sending = true;
            _inflight = length;
            ValueTask write;
            try
            {
                write = _transport.WriteAsync(buffer.AsMemory(0, length), CancellationToken.None); // disposing the transport ends a pending write
            }
            catch (Exception error)
            {
                ConnectionBuffers.Pool.Return(buffer);
                _sending = false;
                OnWriteFailed(error);
                return;
            }

            if (write.IsCompletedSuccessfully)
            {
                // The common case: the socket took it all at once; no message round trip needed.
                ConnectionBuffers.Pool.Return(buffer);
                OnWritten(length);
                continue;
            }

            WatchWrite();
            IActorRef self = Self;
            write.AsTask().ContinueWith(
                task => self.Tell(task.IsCompletedSuccessfully ? new Written(buffer, length) : new WriteFailed(buffer, task.Exception?.GetBaseException() ?? new OperationCanceledException())),
                TaskContinuationOptions.ExecuteSynchronously);
            return;
        }
    }

    /// <summary>Whether the connection is over once what is queued has been written.</summary>
    private bool DoneWhenFlushed => _phase switch
    {
        Phase.Open => _codec!.State == Protocol.CodecState.Closed,
        Phase.Handshaking => _handshake!.Step == HandshakeStep.Responding && !_handshake.KeepAlive,
        _ => false,
    };

    private void OnWritten(int length)
    {
        _sending = false;
        _inflight = 0;
        _bytesOut += length;
        if (_deferred is not null && _phase == Phase.Open && MaySend)
        {
            DrainDeferred();
        }

        if (_sendAcks is { Count: > 0 })
        {
            ReleaseSendAcks();
        }

        if (_readPaused)
        {
            ResumeIfPaused();
        }
    }

    /// <summary>
    /// A send the socket could not take at once is in flight: the write deadline starts, unless it
    /// runs already (then it checks, when it fires, whether any send completed since).
    /// </summary>
    private void WatchWrite()
    {
        _writeGeneration++;
        if (_writeTimer is null)
        {
            _writeTimerGeneration = _writeGeneration;
            _writeTimer = Schedule(Settings.WriteTimeout, WriteTimeout.Instance);
        }
    }

    private void OnWriteTimeout()
    {
        if (!_sending)
        {
            return; // everything was taken; the next stalled send starts a new deadline
        }

        if (_writeGeneration != _writeTimerGeneration)
        {
            // Sends completed since the deadline started: the client reads, slowly. Watch the current one.
            _writeTimerGeneration = _writeGeneration;
            _writeTimer = Schedule(Settings.WriteTimeout, WriteTimeout.Instance);
            return;
        }

        string reason = "slow consumer: nothing written for " + Settings.WriteTimeout.TotalSeconds + " s";
        switch (_phase)
        {
            case Phase.Open:
                _context.Logger.LogWarning("Connection {ConnectionId} from {RemoteAddress} took no bytes for {WriteTimeoutSeconds} s; dropping it", _id, Remote, Settings.WriteTimeout.TotalSeconds);
                _context.Metrics.SlowConsumerCloses.Inc();
                End(Termination(TerminationCause.SlowConsumer, Protocol.CloseCode.PolicyViolation, reason), EndMode.Abort);
                break;
            case Phase.Handshaking:
                // An HTTP answer (or a refusal) the client does not read.
                _context.Logger.LogInformation("Connection {ConnectionId} from {RemoteAddress} did not read its HTTP answer for {WriteTimeoutSeconds} s; dropping it", _id, Remote, Settings.WriteTimeout.TotalSeconds);
                End(null, EndMode.Abort);
                break;
        }
    }

    private void OnWriteFailed(Exception error)
    {
        switch (_phase)
        {
            case Phase.Open:
                End(Termination(TerminationCause.WriteFailed, Protocol.CloseCode.AbnormalClosure, error.Message), EndMode.Abort);
                break;
            case Phase.Handshaking:
                End(null, EndMode.Abort);
                break;
        }
    }

    private sealed record Written(byte[] Buffer, int Count);

    private sealed record WriteFailed(byte[] Buffer, Exception Error);

    private sealed class FlushNow
    {
        public static readonly FlushNow Instance = new();
    }

    private sealed class WriteTimeout : Tick
    {
        public static readonly WriteTimeout Instance = new();
    }
}
