namespace LoadGen;

/// <summary>
/// Latencies in microseconds, kept with three significant digits in fixed buckets (no allocation
/// per sample); thread-safe through Interlocked.
/// </summary>
public sealed class Histogram
{
    // Buckets of 1 us below 1 ms, 10 us below 10 ms, 100 us below 100 ms, 1 ms below 1 s, 10 ms up to 100 s.
    private readonly long[] _counts = new long[5 * 1000];
    private long _total;

    public long Count => Interlocked.Read(ref _total);

    public void Record(long microseconds)
    {
        if (microseconds < 0)
        {
            microseconds = 0;
        }

        int index;
        if (microseconds < 1000)
        {
            index = (int)microseconds;
        }
        else if (microseconds < 10_000)
        {
            index = 1000 + (int)(microseconds / 10);
        }
        else if (microseconds < 100_000)
        {
            index = 2000 + (int)(microseconds / 100);
        }
        else if (microseconds < 1_000_000)
        {
            index = 3000 + (int)(microseconds / 1000);
        }
        else
        {
            index = 4000 + (int)Math.Min(999, microseconds / 10_000);
        }

        // Each decade's buckets start where the previous decade's lower tenth would be: indices
        // 1000+100..1000+999 etc. are used; the low ones stay empty.
        Interlocked.Increment(ref _counts[index]);
        Interlocked.Increment(ref _total);
    }

    /// <summary>The value at quantile <paramref name="q"/> (0..1), in microseconds; 0 when empty.</summary>
    public long Percentile(double q)
    {
        long total = Count;
        if (total == 0)
        {
            return 0;
        }

        long rank = (long)Math.Ceiling(q * total);
        long seen = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += Interlocked.Read(ref _counts[i]);
            if (seen >= rank)
            {
                return ValueOf(i);
            }
        }

        return ValueOf(_counts.Length - 1);
    }

    private static long ValueOf(int index) => (index / 1000) switch
    {
        0 => index,
        1 => (index - 1000) * 10L,
        2 => (index - 2000) * 100L,
        3 => (index - 3000) * 1000L,
        _ => (index - 4000) * 10_000L,
    };
}
