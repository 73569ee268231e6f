using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using ActorSocket.Actors.Transport;
using Akka.Actor;
using Akka.Dispatch;
using Akka.TestKit.Xunit2;

namespace ActorSocket.Actors.Tests.Transport;

/// <summary>
/// The event loops (<see cref="ReadinessPoller.Loop"/>): work handed to a loop from any thread runs
/// on its thread, in order, without loss, whether the loop sleeps or is busy; and a loop kept busy
/// still polls its sockets. Loops live for the process: these tests use numbers no server uses.
/// </summary>
public class EventLoopTests : TestKit
{
    private const string Config = """
        loop-dispatcher {
          type = Dispatcher
          executor = "ActorSocket.Actors.Dispatch.EventLoopExecutorConfigurator, ActorSocket.Actors"
          event-loop.index = 42
        }
        """;

    public EventLoopTests()
        : base(Config)
    {
    }

    [Fact]
    public void Work_from_many_threads_runs_on_the_loop_thread_in_each_senders_order_and_none_is_lost()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // no epoll, no loops
        }

        ReadinessPoller loop = ReadinessPoller.Loop(40)!;
        const int producers = 4;
        const int each = 20_000;
        int[] next = new int[producers];
        var wrongThread = new ConcurrentBag<string?>();
        var outOfOrder = new ConcurrentBag<string>();
        using var done = new CountdownEvent(producers * each);

        // The loop sleeps between bursts: producers pause now and then so that wakes are exercised too.
        Parallel.For(0, producers, producer =>
        {
            for (int i = 0; i < each; i++)
            {
                int sequence = i;
                loop.Execute(new ActionRunnable(() =>
                {
                    if (Thread.CurrentThread.Name != "actorsocket-loop-40")
                    {
                        wrongThread.Add(Thread.CurrentThread.Name);
                    }

                    if (next[producer] != sequence)
                    {
                        outOfOrder.Add(producer + ": " + sequence + " after " + next[producer]);
                    }

                    next[producer] = sequence + 1;
                    done.Signal();
                }));
                if (i % 1000 == 0)
                {
                    Thread.Yield();
                }
            }
        });

        Assert.True(done.Wait(TimeSpan.FromSeconds(30)), "work lost: " + done.CurrentCount + " never ran");
        Assert.Empty(wrongThread);
        Assert.Empty(outOfOrder);
    }

    [Fact]
    public void Work_that_queues_more_work_runs_after_it_and_the_loop_keeps_polling_its_sockets_meanwhile()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        ReadinessPoller loop = ReadinessPoller.Loop(41)!;
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        using var transport = new SocketTransport(listener.Accept());
        var probe = CreateTestProbe();

        // Registered from the loop's thread, the socket joins that loop.
        using var registered = new ManualResetEventSlim();
        loop.Execute(new ActionRunnable(() =>
        {
            transport.WatchReadable(probe.Ref);
            registered.Set();
        }));
        Assert.True(registered.Wait(TimeSpan.FromSeconds(10)));

        // Work that requeues itself forever, checking that what it queues runs after it.
        int rounds = 0;
        bool stop = false;
        bool reentered = false;
        bool running = false;
        using var spinning = new ManualResetEventSlim();
        ActionRunnable? spin = null;
        spin = new ActionRunnable(() =>
        {
            reentered |= running;
            running = true;
            if (++rounds == 3)
            {
                spinning.Set();
            }

            if (!Volatile.Read(ref stop))
            {
                loop.Execute(spin!);
            }

            running = false;
        });
        loop.Execute(spin);

        // Data arrives only once the work has requeued itself: the loop must still poll its sockets.
        Assert.True(spinning.Wait(TimeSpan.FromSeconds(10)));
        client.Send("data"u8);
        probe.ExpectMsg<ReadinessPoller.ReadReady>(TimeSpan.FromSeconds(10)); // polled between passes
        Volatile.Write(ref stop, true);
        using var drained = new ManualResetEventSlim();
        loop.Execute(new ActionRunnable(drained.Set));
        Assert.True(drained.Wait(TimeSpan.FromSeconds(10)));
        Assert.False(reentered, "work queued from the loop ran inside the work that queued it");
        Assert.True(rounds > 3, "the work did not go on requeueing itself while the socket was polled");
    }

    [Fact]
    public void Actors_of_an_event_loop_dispatcher_run_on_the_loop_thread()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        IActorRef actor = Sys.ActorOf(Props.Create(() => new ThreadReporter()).WithDispatcher("loop-dispatcher"));
        actor.Tell("where");
        ExpectMsg("actorsocket-loop-42");
    }

    private sealed class ThreadReporter : ReceiveActor
    {
        public ThreadReporter() => Receive<string>(_ => Sender.Tell(Thread.CurrentThread.Name ?? "unnamed"));
    }
}
