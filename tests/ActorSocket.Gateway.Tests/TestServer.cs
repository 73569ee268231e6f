using System.Collections.Concurrent;
using System.Threading.Channels;
using ActorSocket.Actors.Connections;
using ActorSocket.Actors.Handlers;
using ActorSocket.Gateway.Configuration;
using Akka.Actor;
using Akka.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serilog.Core;
using Serilog.Events;

namespace ActorSocket.Gateway.Tests;

/// <summary>The real daemon in-process on a free loopback port, with its log and event stream observable.</summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly LogCollector _log = new();
    private bool _stopped;

    private TestServer(IHost host, LogCollector log)
    {
        _host = host;
        _log = log;
    }

    public ActorSocketServer Server => _host.Server();

    public int Port => Server.EndPoint!.Port;

    public Uri Uri(string path) => new(Server.Url + path);

    public ActorSystem System => _host.Services.GetRequiredService<ActorSystem>();

    public IReadOnlyCollection<LogEvent> LogEvents => _log.Events;

    /// <summary>Termination events published on the Akka event stream.</summary>
    public ChannelReader<ConnectionTerminated> Terminations { get; private set; } = null!;

    public static async Task<TestServer> StartAsync(string hocon = "", IEnumerable<Route>? routes = null, string listen = "127.0.0.1", int port = 0)
    {
        Config config = GatewayConfig.Load(new CommandLineOptions
        {
            Host = listen,
            Port = port,
            LogLevel = "Debug",
            HoconOverrides = hocon.Length == 0 ? [] : [hocon],
        });
        var log = new LogCollector();
        IHost host = GatewayHost.Build(config, logging => logging.WriteTo.Sink(log), routes);
        var server = new TestServer(host, log);
        try
        {
            await host.StartAsync();
        }
        catch
        {
            await host.StopAsync();
            host.Dispose();
            throw;
        }

        var channel = Channel.CreateUnbounded<ConnectionTerminated>();
        IActorRef collector = server.System.ActorOf(Props.Create(() => new ChannelWriterActor<ConnectionTerminated>(channel.Writer)));
        server.System.EventStream.Subscribe(collector, typeof(ConnectionTerminated));
        server.Terminations = channel.Reader;
        return server;
    }

    /// <summary>Waits for the next termination event, bounded.</summary>
    public async Task<ConnectionTerminated> NextTerminationAsync(TimeSpan? timeout = null)
    {
        using var cancellation = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        return await Terminations.ReadAsync(cancellation.Token);
    }

    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        await _host.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _host.Dispose();
    }

    private sealed class LogCollector : ILogEventSink
    {
        private readonly ConcurrentQueue<LogEvent> _events = new();

        public IReadOnlyCollection<LogEvent> Events => _events;

        public void Emit(LogEvent logEvent) => _events.Enqueue(logEvent);
    }
}

/// <summary>Forwards every message of type <typeparamref name="T"/> into a channel.</summary>
public sealed class ChannelWriterActor<T> : ReceiveActor
{
    public ChannelWriterActor(ChannelWriter<T> writer) => Receive<T>(message => writer.TryWrite(message));
}
