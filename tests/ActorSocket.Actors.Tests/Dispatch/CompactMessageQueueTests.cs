using ActorSocket.Actors.Dispatch;
using Akka.Actor;

namespace ActorSocket.Actors.Tests.Dispatch;

public class CompactMessageQueueTests
{
    private static Envelope Message(int value) => new(value, ActorRefs.NoSender);

    [Fact]
    public void Messages_leave_in_arrival_order_across_growth_and_the_slots_are_given_back_when_drained()
    {
        var queue = new CompactMessageQueue();
        Assert.Equal(4, queue.Capacity);
        for (int round = 0; round < 3; round++)
        {
            int expected = 0;
            for (int i = 0; i < 100; i++)
            {
                queue.Enqueue(ActorRefs.Nobody, Message(i));
                if (i % 3 == 0)
                {
                    // Interleaved dequeues move the head, so growth copies a wrapped ring.
                    Assert.True(queue.TryDequeue(out Envelope early));
                    Assert.Equal(expected++, (int)early.Message);
                }
            }

            Assert.Equal(100 - expected, queue.Count);
            while (queue.TryDequeue(out Envelope envelope))
            {
                Assert.Equal(expected++, (int)envelope.Message);
            }

            Assert.Equal(100, expected);
            Assert.False(queue.HasMessages);
            Assert.Equal(4, queue.Capacity);
        }
    }

    [Fact]
    public async Task Concurrent_producers_keep_their_own_order_and_lose_nothing()
    {
        var queue = new CompactMessageQueue();
        const int producers = 4;
        const int each = 20_000;
        Task[] writing = Enumerable.Range(0, producers).Select(p => Task.Run(() =>
        {
            for (int i = 0; i < each; i++)
            {
                queue.Enqueue(ActorRefs.Nobody, Message((p * each) + i));
            }
        })).ToArray();

        int[] next = new int[producers];
        int received = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (received < producers * each)
        {
            Assert.True(DateTime.UtcNow < deadline, "lost messages: " + received);
            if (queue.TryDequeue(out Envelope envelope))
            {
                int value = (int)envelope.Message;
                int producer = value / each;
                Assert.Equal(next[producer], value % each);
                next[producer]++;
                received++;
            }
        }

        await Task.WhenAll(writing);
        Assert.False(queue.TryDequeue(out _));
    }
}
