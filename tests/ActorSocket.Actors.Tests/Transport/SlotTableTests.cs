using ActorSocket.Actors.Transport;

namespace ActorSocket.Actors.Tests.Transport;

public class SlotTableTests
{
    [Fact]
    public void Slots_are_reused_after_removal_and_cleared()
    {
        var table = new SlotTable<string?>();
        int a = table.Add("a");
        int b = table.Add("b");
        Assert.NotEqual(a, b);
        Assert.Equal("b", table[b]);

        table.Remove(a);
        Assert.Null(table[a]);
        Assert.Equal(1, table.Count);
        Assert.Equal(a, table.Add("c"));
        Assert.Equal("c", table[a]);
        Assert.Equal(2, table.Count);
    }

    [Fact]
    public void Growing_adds_chunks_and_keeps_the_old_ones_in_place()
    {
        var table = new SlotTable<int>();
        int first = table.Add(41);
        int[] firstChunk = table.Chunks[0];
        for (int i = 1; i <= SlotTable<int>.ChunkSize; i++)
        {
            table.Add(i);
        }

        Assert.Equal(2, table.Chunks.Length);
        Assert.Same(firstChunk, table.Chunks[0]); // a reader holding it still sees live entries
        table[first] = 42;
        Assert.Equal(42, firstChunk[first]);
        Assert.Equal(SlotTable<int>.ChunkSize + 1, table.Count);
    }
}
