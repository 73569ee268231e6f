namespace ActorSocket.Actors.Transport;

/// <summary>The pool of the connections' read and write buffers.</summary>
internal static class ConnectionBuffers
{
    /// <summary>How often the pool frees what was not used since the previous time: a burst's buffers are gone 10-20 s after it.</summary>
    public static readonly TimeSpan TrimPeriod = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Not <see cref="System.Buffers.ArrayPool{T}.Shared"/>: that keeps only a few arrays per size
    /// and core, and with a thousand busy connections each holding a read buffer between its read
    /// and its actor's turn (or a write buffer while the socket is full), most rents missed and
    /// allocated: about 1 GB/s of garbage in the 1,000-connection echo. This pool keeps arrays up to
    /// 1 MiB, 64 MiB in all (four thousand 16 KiB reads in flight), and gives back what a burst left
    /// once it has gone unused for a trim period; idle connections hold no buffer at all.
    /// </summary>
    public static readonly TrimmingArrayPool Pool = new(1024 * 1024, 64L * 1024 * 1024);

    // Referenced by this static field for the life of the process; started with the pool's first use.
    private static readonly Timer Trimmer = new(_ => Pool.Trim(), null, TrimPeriod, TrimPeriod);
}
