using System.Net.Sockets;
using Akka.Actor;
using Microsoft.Extensions.Logging;

namespace ActorSocket.Actors.Connections;

/// <summary>
/// Parent of every connection actor: starts one per accepted socket, enforces the connection
/// limit, turns a connection's <see cref="ConnectionLostException"/> into its termination event, and
/// drains connections on shutdown.
/// </summary>
public sealed class ConnectionsSupervisor : UntypedActor
{
    private readonly ServerContext _context;
    private long _nextId;
    private int _children;
    private IActorRef? _drainWaiter;
    private Props? _connectionProps;

    /// <summary>Creates the supervisor.</summary>
    public ConnectionsSupervisor(ServerContext context) => _context = context;

    /// <summary>Props for the supervisor.</summary>
    public static Props Props(ServerContext context) => Akka.Actor.Props.Create(() => new ConnectionsSupervisor(context));

    /// <summary>The acceptor hands over a new socket.</summary>
    /// <param name="Socket">The accepted socket; the supervisor owns it from now on.</param>
    public sealed record Accepted(Socket Socket);

    /// <summary>Hands over an already wrapped transport (tests, embedding).</summary>
    /// <param name="Transport">The transport; the supervisor owns it from now on.</param>
    public sealed record AcceptedTransport(ITransport Transport);

    /// <summary>Closes every connection with 1001 and answers <see cref="Drained"/> when none is left.</summary>
    public sealed class Drain
    {
        /// <summary>The single instance.</summary>
        public static readonly Drain Instance = new();

        private Drain()
        {
        }
    }

    /// <summary>Every connection has ended.</summary>
    public sealed class Drained
    {
        /// <summary>The single instance.</summary>
        public static readonly Drained Instance = new();

        private Drained()
        {
        }
    }

    /// <inheritdoc />
    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(
            error =>
            {
                if (error is ConnectionLostException lost)
                {
                    // An abnormal end is an event, not a crash: no stack trace.
                    ConnectionActor.Report(lost.Termination, _context, Context.System.EventStream);
                }
                else
                {
                    _context.Logger.LogError(error, "A connection actor failed unexpectedly; it is stopped and its socket released");
                }

                return Directive.Stop;
            },
            loggingEnabled: false);

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Accepted accepted:
                Start(_context.TransportFactory(accepted.Socket));
                break;
            case AcceptedTransport accepted:
                Start(accepted.Transport);
                break;
            case Terminated:
                _children--;
                if (_children == 0 && _drainWaiter is not null)
                {
                    _drainWaiter.Tell(Drained.Instance);
                    _drainWaiter = null;
                }

                break;
            case Drain:
                _drainWaiter = Sender;
                foreach (IActorRef child in Context.GetChildren())
                {
                    child.Tell(ConnectionActor.Shutdown.Instance);
                }

                if (_children == 0)
                {
                    Sender.Tell(Drained.Instance);
                    _drainWaiter = null;
                }

                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Start(ITransport transport)
    {
        _context.Metrics.AcceptedConnections.Inc();
        long id = ++_nextId;
        bool overCapacity = _children >= _context.MaxConnections;
        _connectionProps ??= ConnectionActor.Props(_context);
        IActorRef child = Context.ActorOf(_connectionProps, "c" + id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        child.Tell(new ConnectionActor.Serve(transport, id, overCapacity)); // its first message
        Context.Watch(child);
        _children++;
        if (_drainWaiter is not null)
        {
            child.Tell(ConnectionActor.Shutdown.Instance);
        }
    }
}
