using ActorSocket.Actors.Metrics;
using ActorSocket.Actors.Topics;
using Akka.Actor;
using BenchmarkDotNet.Attributes;

namespace ActorSocket.Benchmarks;

/// <summary>
/// Eight publishes sent at once to a topic with 1,000 subscriber actors, per delivery, allocations
/// included: subscribers that take batches (a burst reaches each in one envelope, as a `/pubsub`
/// connection takes it) against subscribers that take one message per envelope.
/// </summary>
[MemoryDiagnoser]
public class TopicBurstBenchmarks
{
    private const int Subscribers = 1000;
    private const int Burst = 8;
    private ActorSystem? _system;
    private IActorRef? _topics;
    private CountdownEvent? _delivered;
    private TopicMessage? _message;

    /// <summary>Whether the subscribers take batches.</summary>
    [Params(false, true)]
    public bool Batches { get; set; }

    [GlobalSetup]
    public void Start()
    {
        _system = ActorSystem.Create("bench", "akka.loglevel = WARNING");
        _topics = _system.ActorOf(TopicRegistry.Props(new TopicSettings(), new ServerMetrics()), "topics");
        _delivered = new CountdownEvent(Subscribers * Burst);
        for (int i = 0; i < Subscribers; i++)
        {
            IActorRef subscriber = _system.ActorOf(Props.Create(() => new DeliveryCounter(_delivered)));
            _topics.Ask<string>(new Topic.Subscribe("bench", subscriber, "ok", AcceptsBatches: Batches), TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
        }

        _message = TopicMessage.Create("bench", "{\"price\":42}"u8);
    }

    [GlobalCleanup]
    public void Stop() => _system?.Terminate().Wait(TimeSpan.FromSeconds(10));

    /// <summary>Per delivery: the topic's fan-out of eight publishes sent together, and the subscribers' mailbox runs.</summary>
    [Benchmark(OperationsPerInvoke = Subscribers * Burst, Description = "8 publishes at once to 1,000 subscriber actors, per delivery")]
    public void PublishBurst()
    {
        _delivered!.Reset();
        for (int i = 0; i < Burst; i++)
        {
            _topics!.Tell(new Topic.Publish(_message!));
        }

        _delivered.Wait();
    }
}
