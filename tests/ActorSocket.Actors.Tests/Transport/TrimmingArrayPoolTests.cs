using ActorSocket.Actors.Transport;

namespace ActorSocket.Actors.Tests.Transport;

public class TrimmingArrayPoolTests
{
    [Fact]
    public void What_a_burst_left_behind_is_freed_after_two_quiet_trims()
    {
        var pool = new TrimmingArrayPool(1024 * 1024, 1L << 30);
        byte[][] burst = Enumerable.Range(0, 1000).Select(_ => pool.Rent(16 * 1024)).ToArray();
        foreach (byte[] array in burst)
        {
            pool.Return(array);
        }

        Assert.Equal(1000L * 16 * 1024, pool.RetainedBytes);
        pool.Trim(); // returned after the last trim: still kept once
        Assert.Equal(1000L * 16 * 1024, pool.RetainedBytes);
        pool.Trim(); // untouched for a whole period: freed
        Assert.Equal(0, pool.RetainedBytes);
    }

    [Fact]
    public void A_steady_load_keeps_the_arrays_it_uses()
    {
        var pool = new TrimmingArrayPool(1024 * 1024, 1L << 30);
        var first = new List<byte[]>();
        for (int i = 0; i < 50; i++)
        {
            first.Add(pool.Rent(4096));
        }

        first.ForEach(array => pool.Return(array));
        for (int period = 0; period < 5; period++)
        {
            // Each period ten buffers are in use at once, then returned.
            byte[][] used = Enumerable.Range(0, 10).Select(_ => pool.Rent(4096)).ToArray();
            Assert.All(used, array => Assert.Contains(array, first)); // pooled ones, not new ones
            foreach (byte[] array in used)
            {
                pool.Return(array);
            }

            pool.Trim();
        }

        // The forty never used went; the ten in use stay.
        Assert.Equal(10L * 4096, pool.RetainedBytes);
    }

    [Fact]
    public void The_pool_never_holds_more_than_its_budget()
    {
        var pool = new TrimmingArrayPool(1024 * 1024, 4L * 1024 * 1024);
        byte[][] big = Enumerable.Range(0, 64).Select(_ => pool.Rent(1024 * 1024)).ToArray();
        foreach (byte[] array in big)
        {
            pool.Return(array);
        }

        Assert.Equal(4L * 1024 * 1024, pool.RetainedBytes);
        Assert.Equal(2 * 1024 * 1024 + 1, pool.Rent(2 * 1024 * 1024 + 1).Length); // past the largest size: not pooled
        Assert.Equal(16 * 1024, pool.Rent(10_000).Length); // rounded up to its size class
    }
}
