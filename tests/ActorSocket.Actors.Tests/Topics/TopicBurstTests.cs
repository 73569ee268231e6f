using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using ActorSocket.Actors.Metrics;
using ActorSocket.Actors.Topics;
using ActorSocket.Protocol.PubSub;
using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.TestKit;
using Akka.TestKit.Xunit2;

namespace ActorSocket.Actors.Tests.Topics;

/// <summary>
/// Publishes that wait together in a topic's mailbox are delivered as one burst: one envelope per
/// subscriber that takes batches, in order, bounded, and never across a subscribe or an unsubscribe
/// that arrived between them. The registry and its topics run on a dispatcher whose work the test
/// runs itself (<see cref="Pump"/>), so what waits in a mailbox at once is decided, not raced.
/// </summary>
public sealed class TopicBurstTests : TestKit
{
    // The manual dispatcher's work, per actor system (each test has its own).
    private static readonly ConcurrentDictionary<ActorSystem, ConcurrentQueue<IRunnable>> Queues = new();
    private readonly IActorRef _registry;

    public TopicBurstTests()
        : base(Config())
    {
        _registry = Sys.ActorOf(TopicRegistry.Props(
            new TopicSettings
            {
                IdleTimeout = TimeSpan.FromMinutes(10),
                Dispatchers = ["manual-dispatcher"],
                Namespaces = new NamespaceTable(new NamespaceSettings(), [new NamespaceSettings { Name = "log", HistorySize = 100, HistoryTtl = TimeSpan.FromMinutes(10) }]),
            },
            new ServerMetrics()));

        // A top-level actor starts on the guardian's thread: once it answers, it takes messages directly.
        _registry.Tell(new Identify(null));
        AwaitCondition(PumpedAndAnswered, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(5));
        ExpectMsg<ActorIdentity>();
    }

    protected override void AfterAll()
    {
        // The registry and its topics stop on the manual dispatcher too: run their stop here.
        Watch(_registry);
        Sys.Stop(_registry);
        AwaitCondition(PumpedAndAnswered, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(5));
        ExpectTerminated(_registry);
        base.AfterAll();
        Queues.TryRemove(Sys, out _);
    }

    private static string Config() =>
        """
        manual-dispatcher {
          type = Dispatcher
          executor = "ActorSocket.Actors.Tests.Topics.TopicBurstTests+ManualExecutorConfigurator, ActorSocket.Actors.Tests"
          throughput = 500
        }
        """;

    /// <summary>Runs every piece of work the manual dispatcher was given, and what that work gave it, on this thread.</summary>
    private void Pump()
    {
        ConcurrentQueue<IRunnable> queue = Queues.GetOrAdd(Sys, _ => new ConcurrentQueue<IRunnable>());
        while (queue.TryDequeue(out IRunnable? run))
        {
            run.Run();
        }
    }

    /// <summary>Pumps, then says whether the test actor got an answer (for work another thread starts: the guardian's).</summary>
    private bool PumpedAndAnswered()
    {
        Pump();
        return HasMessages;
    }

    private static TopicMessage Message(int i) => TopicMessage.Create("room", Encoding.UTF8.GetBytes(i.ToString(CultureInfo.InvariantCulture)));

    private static string Text(TopicMessage message) => Encoding.UTF8.GetString(message.Data.Span);

    /// <summary>What a subscriber that takes batches received, message by message, and in how many envelopes.</summary>
    private static (List<string> Messages, List<int> Envelopes) Drain(TestProbe probe)
    {
        var messages = new List<string>();
        var envelopes = new List<int>();
        while (probe.HasMessages)
        {
            switch (probe.ReceiveOne(TimeSpan.Zero))
            {
                case TopicMessages many:
                    messages.AddRange(many.Messages.Select(Text));
                    envelopes.Add(many.Messages.Count);
                    break;
                case TopicMessage one:
                    messages.Add(Text(one));
                    envelopes.Add(1);
                    break;
                case string ack:
                    messages.Add(ack);
                    break;
            }
        }

        return (messages, envelopes);
    }

    private void Subscribe(TestProbe subscriber, bool batches)
    {
        _registry.Tell(new Topic.Subscribe("room", subscriber.Ref, "subscribed", AcceptsBatches: batches));
        Pump();
        ExpectMsg("subscribed");
    }

    [Fact]
    public void Publishes_waiting_together_reach_a_batching_subscriber_in_one_envelope_and_are_acknowledged_after_it()
    {
        TestProbe batched = CreateTestProbe();
        TestProbe plain = CreateTestProbe();
        Subscribe(batched, batches: true);
        Subscribe(plain, batches: false);

        // The batched subscriber publishes too: its acknowledgements come behind the messages.
        for (int i = 0; i < 5; i++)
        {
            _registry.Tell(new Topic.Publish(Message(i), "ack" + i), batched.Ref);
        }

        Pump();

        (List<string> messages, List<int> envelopes) = Drain(batched);
        Assert.Equal(["0", "1", "2", "3", "4", "ack0", "ack1", "ack2", "ack3", "ack4"], messages);
        Assert.Equal([5], envelopes);
        Assert.Equal(["0", "1", "2", "3", "4"], Drain(plain).Messages); // one message per envelope, as before
    }

    [Fact]
    public void A_lone_publish_is_delivered_as_it_is()
    {
        TestProbe batched = CreateTestProbe();
        Subscribe(batched, batches: true);
        _registry.Tell(new Topic.Publish(Message(7)));
        Pump();
        Assert.Equal("7", Text(batched.ExpectMsg<TopicMessage>(TimeSpan.Zero)));
        Assert.False(batched.HasMessages);
    }

    [Fact]
    public void A_subscribe_between_two_waiting_publishes_gets_only_the_later_one()
    {
        TestProbe early = CreateTestProbe();
        TestProbe late = CreateTestProbe();
        Subscribe(early, batches: true);

        _registry.Tell(new Topic.Publish(Message(1)));
        _registry.Tell(new Topic.Subscribe("room", late.Ref, AcceptsBatches: true));
        _registry.Tell(new Topic.Publish(Message(2)));
        Pump();

        Assert.Equal(["1", "2"], Drain(early).Messages);
        Assert.Equal(["2"], Drain(late).Messages);
    }

    [Fact]
    public void An_unsubscribe_between_two_waiting_publishes_keeps_the_earlier_one()
    {
        TestProbe leaving = CreateTestProbe();
        TestProbe staying = CreateTestProbe();
        Subscribe(leaving, batches: true);
        Subscribe(staying, batches: true);

        _registry.Tell(new Topic.Publish(Message(1)));
        _registry.Tell(new Topic.Unsubscribe("room", leaving.Ref));
        _registry.Tell(new Topic.Publish(Message(2)));
        Pump();

        Assert.Equal(["1"], Drain(leaving).Messages);
        Assert.Equal(["1", "2"], Drain(staying).Messages);
    }

    [Fact]
    public void A_publisher_that_does_not_hear_itself_gets_the_burst_without_its_own_messages()
    {
        // Connections subscribe with an origin tag; a publish with "echo": false carries its publisher's.
        TestProbe quiet = CreateTestProbe();
        TestProbe other = CreateTestProbe();
        _registry.Tell(new Topic.Subscribe("room", quiet.Ref, "subscribed", AcceptsBatches: true, Origin: 1));
        _registry.Tell(new Topic.Subscribe("room", other.Ref, "subscribed", AcceptsBatches: true, Origin: 2));
        Pump();
        ExpectMsg("subscribed");
        ExpectMsg("subscribed");

        for (int i = 0; i < 4; i++)
        {
            TopicMessage message = Message(i);
            message.Origin = i == 2 ? 2 : 1; // the third is the other's, also without its echo
            _registry.Tell(new Topic.Publish(message));
        }

        Pump();
        Assert.Equal(["2"], Drain(quiet).Messages);
        Assert.Equal(["0", "1", "3"], Drain(other).Messages);
    }

    [Fact]
    public void A_burst_on_a_topic_with_history_keeps_its_offsets_and_answers_each_publisher_with_its_position()
    {
        TestProbe batched = CreateTestProbe();
        _registry.Tell(new Topic.Subscribe("log:x", batched.Ref, "subscribed", AcceptsBatches: true));
        Pump();
        ExpectMsg<Topic.Subscribed>(TimeSpan.Zero);

        for (int i = 0; i < 3; i++)
        {
            _registry.Tell(new Topic.Publish(TopicMessage.Create("log:x", Encoding.UTF8.GetBytes("m" + i)), "p" + i) { WantsPosition = true });
        }

        Pump();
        TopicMessages burst = batched.ExpectMsg<TopicMessages>(TimeSpan.Zero);
        Assert.Equal(["m0", "m1", "m2"], burst.Messages.Select(Text));
        Assert.Equal([1L, 2L, 3L], burst.Messages.Select(m => m.Offset));
        var positions = new List<PubSubPosition>();
        for (int i = 0; i < 3; i++)
        {
            Topic.Published published = ExpectMsg<Topic.Published>(TimeSpan.Zero);
            Assert.Equal("p" + i, published.Ack);
            Assert.Equal(i + 1, published.Position.Offset);
            positions.Add(published.Position);
        }

        // The history holds the burst: a subscriber recovering from the first offset gets the rest.
        TestProbe late = CreateTestProbe();
        _registry.Tell(new Topic.Subscribe("log:x", late.Ref, "late", AcceptsBatches: true, Since: positions[0]));
        Pump();
        Assert.True(ExpectMsg<Topic.Subscribed>(TimeSpan.Zero).Recovered);
        Assert.Equal(["m1", "m2"], Drain(late).Messages);
    }

    [Fact]
    public void A_burst_is_bounded_in_messages_and_in_bytes()
    {
        TestProbe batched = CreateTestProbe();
        Subscribe(batched, batches: true);
        for (int i = 0; i < 150; i++)
        {
            _registry.Tell(new Topic.Publish(Message(i)));
        }

        Pump();
        (List<string> messages, List<int> envelopes) = Drain(batched);
        Assert.Equal(Enumerable.Range(0, 150).Select(i => i.ToString(CultureInfo.InvariantCulture)), messages);
        Assert.Equal([64, 64, 22], envelopes);

        // 40 KiB each: a burst closes once it holds 64 KiB, so two to an envelope.
        byte[] large = new byte[40 * 1024];
        for (int i = 0; i < 4; i++)
        {
            _registry.Tell(new Topic.Publish(TopicMessage.Create("room", large)));
        }

        Pump();
        Assert.Equal([2, 2], Drain(batched).Envelopes);
    }

    /// <summary>An executor that only queues: the test runs the work (<see cref="Pump"/>).</summary>
    internal sealed class ManualExecutorConfigurator(Config config, IDispatcherPrerequisites prerequisites)
        : ExecutorServiceConfigurator(config, prerequisites)
    {
        private readonly ActorSystem _system = prerequisites.Settings.System;

        public override ExecutorService Produce(string id) => new ManualExecutor(id, Queues.GetOrAdd(_system, _ => new ConcurrentQueue<IRunnable>()));

        private sealed class ManualExecutor(string id, ConcurrentQueue<IRunnable> queue) : ExecutorService(id)
        {
            public override void Execute(IRunnable run) => queue.Enqueue(run);

            public override void Shutdown()
            {
            }
        }
    }
}
