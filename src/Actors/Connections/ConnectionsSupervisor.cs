using System.Net.Sockets;
using ActorSocket.Actors.Transport;
using Akka.Actor;
using Microsoft.Extensions.Logging;

namespace ActorSocket.Actors.Connections;

/// <summary>
/// Parent of every connection actor: starts one per accepted socket, enforces the connection
/// limit, and drains connections on shutdown. Connections report their own endings; a connection
/// actor that fails has a bug, and is stopped with its socket released.
/// </summary>
internal sealed class ConnectionsSupervisor : UntypedActor
{
    private readonly ServerContext _context;
    private long _nextId;
    private int _children;
    private IActorRef? _drainWaiter;
    private ConnectionActor.Shutdown _closing = ConnectionActor.Shutdown.Instance;
    private Props[]? _connectionProps;

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

    /// <summary>Closes every connection (with 1001 unless said otherwise) and answers <see cref="Drained"/> when none is left.</summary>
    /// <param name="Close">How the connections are told.</param>
    public sealed record Drain(ConnectionActor.Shutdown Close)
    {
        /// <summary>The server stops: 1001.</summary>
        public static readonly Drain Instance = new(ConnectionActor.Shutdown.Instance);
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
                _context.Logger.LogError(error, "A connection actor failed unexpectedly; it is stopped and its socket released");
                return Directive.Stop;
            },
            loggingEnabled: false);

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Accepted accepted:
                OnAccepted(accepted.Socket);
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
            case Drain drain:
                _drainWaiter = Sender;
                _closing = drain.Close;
                foreach (IActorRef child in Context.GetChildren())
                {
                    child.Tell(drain.Close);
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

    /// <summary>
    /// Connections past <see cref="ServerContext.MaxConnections"/> still admitted for plain HTTP:
    /// a full node keeps answering <c>/healthz</c> and <c>/metrics</c> (an upgrade gets 503), so an
    /// orchestrator does not mistake "full" for "dead" and restart it, dropping every connection.
    /// </summary>
    internal const int HttpHeadroom = 16;

    private static readonly byte[] Busy = FixedAnswer("503 Service Unavailable", 5, "the server is at its connection limit\n");

    private static readonly byte[] TooMany = FixedAnswer("429 Too Many Requests", 1, "too many connections from this client address\n");

    private static readonly byte[] TooFast = FixedAnswer("503 Service Unavailable", 1, "the server takes no more new connections this second\n");

    // The server-wide bucket of new connections (ConnectionSettings.ConnectionsPerSecond): used on this actor alone.
    private Identity.TokenBucket _accepts;

    private AddressLimits Limits => _context.AddressLimits;

    /// <summary>
    /// Admission at accept, before any buffer, actor or TLS work: past the connection limit (and its
    /// HTTP headroom) or a per-address limit the socket gets a fixed answer and is closed at once.
    /// </summary>
    private void OnAccepted(Socket socket)
    {
        if (_children >= _context.MaxConnections + HttpHeadroom)
        {
            Refuse(socket, Busy, "capacity");
            return;
        }

        ConnectionSettings settings = _context.Settings;
        if (settings.ConnectionsPerSecond > 0
            && !_accepts.TryTake(new Identity.RateLimit(settings.ConnectionsPerSecond, Math.Max(1, settings.ConnectionBurst)), _context.Clock(), out _))
        {
            Refuse(socket, TooFast, "server-rate");
            return;
        }

        System.Net.IPAddress? counted = null;
        if (Limits.IsActive && socket.RemoteEndPoint is System.Net.IPEndPoint peer && _context.Proxies?.IsTrusted(peer.Address) != true)
        {
            string? refusal = Limits.Admit(peer.Address, out counted);
            if (refusal is not null)
            {
                Refuse(socket, TooMany, refusal);
                return;
            }
        }

        Start(_context.TransportFactory(socket), counted); // the connection gives its place back when it ends
    }

    private static byte[] FixedAnswer(string status, int retryAfterSeconds, string body) =>
        System.Text.Encoding.ASCII.GetBytes(
            "HTTP/1.1 " + status + "\r\nContent-Type: text/plain\r\nContent-Length: " + body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)
            + "\r\nRetry-After: " + retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\r\nConnection: close\r\n\r\n" + body);

    private void Refuse(Socket socket, byte[] answer, string reason)
    {
        _context.Metrics.RefusedConnections.WithLabels(reason).Inc();
        _context.Logger.LogDebug("Connection from {RemoteAddress} refused at accept ({Reason})", socket.RemoteEndPoint, reason);
        try
        {
            socket.Blocking = false;
            if (!_context.Secure)
            {
                socket.Send(answer, SocketFlags.None, out _); // the socket buffer takes it or the client gets nothing
            }

            // FIN after the answer. What the client already sent is read and dropped (a few KiB at
            // most, without waiting): closing with unread input would reset the connection, and the
            // client could lose the answer.
            socket.Shutdown(SocketShutdown.Send);
            Span<byte> discard = stackalloc byte[4096];
            for (int i = 0; i < 4 && socket.Receive(discard, SocketFlags.None, out SocketError error) > 0 && error == SocketError.Success; i++)
            {
            }

            socket.Close();
        }
        catch (Exception error) when (error is SocketException or ObjectDisposedException)
        {
            socket.Dispose();
        }
    }

    private void Start(ITransport transport, System.Net.IPAddress? countedAddress = null)
    {
        _context.Metrics.AcceptedConnections.Inc();
        long id = ++_nextId;
        bool overCapacity = _children >= _context.MaxConnections;
        _connectionProps ??= ConnectionProps(_context);

        // Spread over the event loops in turn: a connection stays on its loop for its life.
        IActorRef child = Context.ActorOf(_connectionProps[id % _connectionProps.Length], "c" + id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        child.Tell(new ConnectionActor.Serve(transport, id, overCapacity, countedAddress)); // its first message
        Context.Watch(child);
        _children++;
        if (_drainWaiter is not null)
        {
            child.Tell(_closing);
        }
    }

    private static Props[] ConnectionProps(ServerContext context)
    {
        Props props = ConnectionActor.Props(context);
        IReadOnlyList<string> dispatchers = context.Settings.Dispatchers;
        if (dispatchers.Count == 0)
        {
            return [props];
        }

        var each = new Props[dispatchers.Count];
        for (int i = 0; i < each.Length; i++)
        {
            each[i] = props.WithDispatcher(dispatchers[i]);
        }

        return each;
    }
}
