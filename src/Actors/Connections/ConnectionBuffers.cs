using System.Buffers;

namespace ActorSocket.Actors.Connections;

/// <summary>The pool of the connections' read and write buffers.</summary>
internal static class ConnectionBuffers
{
    /// <summary>
    /// Not <see cref="ArrayPool{T}.Shared"/>: that keeps only a few arrays per size and core, and
    /// with a thousand busy connections each holding a read buffer between its read and its actor's
    /// turn (or a write buffer while the socket is full), most rents missed and allocated: about
    /// 1 GB/s of garbage in the 1,000-connection echo. This pool keeps up to 4,096 arrays per size
    /// (at most 64 MiB of 16 KiB read buffers), and nothing for idle connections, which wait with
    /// a zero-byte read and hold no buffer.
    /// </summary>
    public static readonly ArrayPool<byte> Pool = ArrayPool<byte>.Create(1024 * 1024, 4096);
}
