using ActorSocket.Actors.Handlers;
using ActorSocket.Protocol;
using Akka.Actor;
using Microsoft.Extensions.Logging;

namespace ActorSocket.Actors.Connections;

/// <summary>
/// Inline handlers (<see cref="InlineHandler"/>): called on this actor's thread with spans of the
/// decoder's buffer; what they send goes straight into the codec's outbound buffer.
/// </summary>
internal sealed partial class ConnectionActor : IInlineConnection
{
    private InlineHandler? _inline;

    IActorRef IInlineConnection.Self => Self;

    /// <summary>How this connection compresses each message on its own, if it does (<see cref="WebSocketCodec.SharedCompression"/>).</summary>
    internal Protocol.Deflate.SharedCompression? SharedCompression => _codec?.SharedCompression;

    IActorRef IInlineConnection.Topics => _context.Topics ?? ActorRefs.Nobody;

    void IInlineConnection.SendText(ReadOnlySpan<byte> utf8)
    {
        if (MaySend)
        {
            AfterSend(_codec!.SendText(utf8));
        }
    }

    void IInlineConnection.SendBinary(ReadOnlySpan<byte> data)
    {
        if (MaySend)
        {
            AfterSend(_codec!.SendBinary(data));
        }
    }

    void IInlineConnection.BeginPending() => _unacked++;

    void IInlineConnection.EndPending() => OnHandlerAck();

    void IInlineConnection.SetDeadline(TimeSpan? after, CloseCode code, string reason) => SetDeadline(after, code, reason);

    void IInlineConnection.Close(CloseCode code, string reason)
    {
        StartClose(code, reason, TerminationCause.Closed);
    }

    private void InlineText(ReadOnlyMemory<byte> utf8)
    {
        try
        {
            _inline!.OnText(utf8, this);
        }
        catch (Exception error)
        {
            OnInlineFailure(error);
        }
    }

    private void InlineBinary(ReadOnlyMemory<byte> data)
    {
        try
        {
            _inline!.OnBinary(data, this);
        }
        catch (Exception error)
        {
            OnInlineFailure(error);
        }
    }

    private bool InlineMessage(object message)
    {
        try
        {
            return _inline!.OnMessage(message, this);
        }
        catch (Exception error)
        {
            OnInlineFailure(error);
            return true;
        }
    }

    private void OnInlineFailure(Exception error)
    {
        // As a failing handler actor: logged with its stack trace (a bug), the connection closes with 1011.
        _inline = null;
        _handlerFailure = error;
        _context.Logger.LogError(error, "Handler of connection {ConnectionId} on {Path} failed; closing with 1011", _id, _path);
        StartClose(CloseCode.InternalError, "handler failed", TerminationCause.HandlerFailed);
    }
}
