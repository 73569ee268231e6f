using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using ActorSocket.Actors.Metrics;
using ActorSocket.Actors.Topics;
using ActorSocket.Gateway;
using ActorSocket.Gateway.Configuration;
using Akka.Actor;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Hosting;

namespace ActorSocket.Benchmarks;

/// <summary>
/// The actor hot path, allocations included (BenchmarkDotNet counts every thread's): a message
/// through a real connection actor and back over loopback, and one publish to many subscriber actors.
/// </summary>
[MemoryDiagnoser]
public class ActorHotPathBenchmarks
{
    private const int Batch = 100;
    private const int Subscribers = 1000;
    private IHost? _host;
    private Socket? _client;
    private byte[] _frames = [];
    private readonly byte[] _echoes = new byte[Batch * (2 + 32)];

    private ActorSystem? _system;
    private IActorRef? _topics;
    private CountdownEvent? _delivered;
    private TopicMessage? _message;

    [GlobalSetup(Target = nameof(EchoThroughConnectionActor))]
    public void StartServer()
    {
        var config = GatewayConfig.Load(CommandLineOptions.Parse(["--port", "0", "--log-level", "Warning"]));
        _host = GatewayHost.Build(config);
        _host.StartAsync().GetAwaiter().GetResult();
        int port = _host.Server().EndPoint!.Port;
        _client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        _client.Connect(new IPEndPoint(IPAddress.Loopback, port));
        _client.Send(Encoding.ASCII.GetBytes($"GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))}\r\nSec-WebSocket-Version: 13\r\n\r\n"));
        var head = new List<byte>();
        var one = new byte[1];
        while (head.Count < 4 || !(head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
        {
            _client.Receive(one);
            head.Add(one[0]);
        }

        // 100 masked 32-byte binary frames, encoded once: the benchmark sends them in one write.
        _frames = new byte[Batch * (2 + 4 + 32)];
        for (int i = 0; i < Batch; i++)
        {
            int at = i * 38;
            _frames[at] = 0x82;
            _frames[at + 1] = 0x80 | 32;
            RandomNumberGenerator.Fill(_frames.AsSpan(at + 2, 4));
        }
    }

    [GlobalCleanup(Target = nameof(EchoThroughConnectionActor))]
    public void StopServer()
    {
        _client?.Dispose();
        _host?.StopAsync().GetAwaiter().GetResult();
        _host?.Dispose();
    }

    /// <summary>Per message: socket read, decode, inline echo handler, encode, coalesced write, client read.</summary>
    [Benchmark(OperationsPerInvoke = Batch, Description = "echo 32 B through a connection actor (100 pipelined)")]
    public void EchoThroughConnectionActor()
    {
        _client!.Send(_frames);
        int received = 0;
        while (received < _echoes.Length)
        {
            received += _client.Receive(_echoes.AsSpan(received));
        }
    }

    [GlobalSetup(Target = nameof(PublishToSubscriberActors))]
    public void StartTopics()
    {
        _system = ActorSystem.Create("bench", "akka.loglevel = WARNING");
        _topics = _system.ActorOf(TopicRegistry.Props(new TopicSettings(), new ServerMetrics()), "topics");
        _delivered = new CountdownEvent(Subscribers);
        for (int i = 0; i < Subscribers; i++)
        {
            IActorRef subscriber = _system.ActorOf(Props.Create(() => new DeliveryCounter(_delivered)));
            _topics.Ask<string>(new Topic.Subscribe("bench", subscriber, "ok"), TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
        }

        _message = TopicMessage.Create("bench", "{\"price\":42}"u8);
    }

    [GlobalCleanup(Target = nameof(PublishToSubscriberActors))]
    public void StopTopics() => _system?.Terminate().Wait(TimeSpan.FromSeconds(10));

    /// <summary>Per delivery: the topic actor's Tell and the subscriber's mailbox run (no sockets).</summary>
    [Benchmark(OperationsPerInvoke = Subscribers, Description = "publish to 1,000 subscriber actors, per delivery")]
    public void PublishToSubscriberActors()
    {
        _delivered!.Reset();
        _topics!.Tell(new Topic.Publish(_message!));
        _delivered.Wait();
    }
}
