using System.Text;
using ActorSocket.Protocol;

namespace ActorSocket.Actors.Handlers;

/// <summary>Commands a handler sends to its connection actor.</summary>
/// <remarks>Commands after the connection started closing are dropped: sending after close is a race, not an error.</remarks>
public static class Connection
{
    /// <summary>Marker of connection commands.</summary>
    public interface ICommand;

    /// <summary>Sends a text message.</summary>
    /// <param name="Utf8">The message as UTF-8; the memory is not modified and must not be modified after sending.</param>
    public sealed record SendText(ReadOnlyMemory<byte> Utf8) : ICommand
    {
        /// <summary>A text message from a string.</summary>
        public static SendText From(string text) => new(Encoding.UTF8.GetBytes(text));
    }

    /// <summary>Sends a binary message.</summary>
    /// <param name="Data">The message bytes; must not be modified after sending.</param>
    public sealed record SendBinary(ReadOnlyMemory<byte> Data) : ICommand;

    /// <summary>Sends a complete frame encoded beforehand (the encode-once fan-out path).</summary>
    /// <param name="Frame">An unmasked server frame, shared and never modified.</param>
    public sealed record SendEncodedFrame(byte[] Frame) : ICommand;

    /// <summary>Sends several complete frames, in order, each encoded once and possibly shared with other connections.</summary>
    /// <param name="Frames">Unmasked server frames.</param>
    public sealed record SendEncodedFrames(IReadOnlyList<byte[]> Frames) : ICommand;

    /// <summary>
    /// Frames of one topic whose namespace lets a subscriber that falls behind lose messages
    /// (<c>drop-oldest</c>, <c>latest</c>) instead of its connection: while the connection's
    /// outbound buffer is over half full they wait per topic, where the policy drops the oldest, or
    /// all but the newest.
    /// </summary>
    /// <param name="Frames">Unmasked server frames, oldest first, shared and never modified.</param>
    /// <param name="Topic">The topic they belong to.</param>
    /// <param name="Latest">True: only the newest waiting frame of the topic is kept; false: the oldest go first past the byte cap.</param>
    internal sealed record SendTopicFrames(IReadOnlyList<byte[]> Frames, string Topic, bool Latest) : ICommand;

    /// <summary>Starts the close handshake.</summary>
    /// <param name="Code">The close code, one allowed on the wire.</param>
    /// <param name="Reason">At most 123 UTF-8 bytes.</param>
    public sealed record Close(CloseCode Code, string? Reason = null) : ICommand;

    /// <summary>
    /// Sends a message and answers <see cref="Sent"/> once the connection has room for more (its
    /// outbound buffer under half of <c>max-outbound-bytes</c>): outbound backpressure for a stream.
    /// </summary>
    /// <param name="Message">The message.</param>
    public sealed record SendAndAck(WsMessage Message) : ICommand;

    /// <summary>The answer to <see cref="SendAndAck"/>.</summary>
    public sealed class Sent
    {
        /// <summary>The single instance.</summary>
        public static readonly Sent Instance = new();

        private Sent()
        {
        }
    }

    /// <summary>
    /// On a route with an inbound window, the handler took one message: the connection reads its
    /// socket again once fewer than the window are untaken.
    /// </summary>
    public sealed class Ack : ICommand
    {
        /// <summary>The single instance.</summary>
        public static readonly Ack Instance = new();

        private Ack()
        {
        }
    }
}
