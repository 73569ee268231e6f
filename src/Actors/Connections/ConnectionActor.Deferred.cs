using ActorSocket.Actors.Handlers;

namespace ActorSocket.Actors.Connections;

/// <summary>
/// The slow-consumer policies <c>drop-oldest</c> and <c>latest</c>: frames of such topics go to the
/// outbound buffer while it is under half of <see cref="ConnectionSettings.MaxOutboundBytes"/>, and
/// wait per topic beyond that, where the policy drops what the client will not catch up with: the
/// oldest first once all waiting frames pass the cap (<c>drop-oldest</c>), or every frame but the
/// newest (<c>latest</c>). They never make the connection a slow consumer: the publisher and the
/// other subscribers go on, and this client sees the gap in the offsets. A client that takes
/// nothing at all is still dropped by the write timeout.
/// </summary>
internal sealed partial class ConnectionActor
{
    private Dictionary<string, Queue<byte[]>>? _deferred;
    private long _deferredBytes;

    private int DeferThreshold => Settings.MaxOutboundBytes / 2;

    private void SendTopicFrames(Connection.SendTopicFrames command)
    {
        Queue<byte[]>? waiting = null;
        _deferred?.TryGetValue(command.Topic, out waiting);
        foreach (byte[] frame in command.Frames)
        {
            // Once frames of the topic wait, newer ones wait behind them: its order holds.
            if (waiting is null && _codec!.OutgoingLength + _inflight + frame.Length > DeferThreshold && !_sending)
            {
                // Over half full only because this mailbox burst has not been written yet: write it
                // now. A client that keeps up takes it, and nothing waits or is dropped for it.
                FlushQueued();
                if (!MaySend)
                {
                    return; // the write failed: the connection is ending
                }
            }

            if (waiting is null && _codec!.OutgoingLength + _inflight + frame.Length <= DeferThreshold)
            {
                if (_codec.SendEncodedFrame(frame))
                {
                    _messagesOut++;
                }

                continue;
            }

            if (waiting is null)
            {
                _deferred ??= new Dictionary<string, Queue<byte[]>>(StringComparer.Ordinal);
                _deferred[command.Topic] = waiting = new Queue<byte[]>();
            }

            Defer(waiting, frame, command.Latest);
        }

        AfterSend(false);
    }

    private void Defer(Queue<byte[]> waiting, byte[] frame, bool latest)
    {
        if (latest)
        {
            DropOldest(waiting, waiting.Count, "latest");
        }

        waiting.Enqueue(frame);
        _deferredBytes += frame.Length;
        if (!latest && _deferredBytes > Settings.MaxOutboundBytes)
        {
            // Over the cap: this topic's oldest go, the newest always stays.
            int drop = 0;
            long bytes = _deferredBytes;
            foreach (byte[] old in waiting)
            {
                if (bytes <= Settings.MaxOutboundBytes || drop == waiting.Count - 1)
                {
                    break;
                }

                bytes -= old.Length;
                drop++;
            }

            DropOldest(waiting, drop, "drop-oldest");
        }
    }

    private void DropOldest(Queue<byte[]> waiting, int count, string policy)
    {
        if (count == 0)
        {
            return;
        }

        for (int i = 0; i < count; i++)
        {
            _deferredBytes -= waiting.Dequeue().Length;
        }

        _context.Metrics.SlowConsumerDrops.WithLabels(policy).Inc(count);
    }

    /// <summary>After a write: the waiting frames move to the outbound buffer, a topic at a time in turn, while it is under half full.</summary>
    private void DrainDeferred()
    {
        while (_deferred is { Count: > 0 })
        {
            bool moved = false;
            foreach ((string topic, Queue<byte[]> waiting) in _deferred)
            {
                byte[] next = waiting.Peek();
                if (_codec!.OutgoingLength + _inflight + next.Length > DeferThreshold)
                {
                    return;
                }

                waiting.Dequeue();
                _deferredBytes -= next.Length;
                if (_codec.SendEncodedFrame(next))
                {
                    _messagesOut++;
                }

                moved = true;
                if (waiting.Count == 0)
                {
                    _deferred.Remove(topic);
                    break; // the dictionary changed: start the round again
                }
            }

            if (!moved)
            {
                return;
            }
        }
    }

    private void ClearDeferred()
    {
        _deferred = null;
        _deferredBytes = 0;
    }
}
