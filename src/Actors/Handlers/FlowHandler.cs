using Akka;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;

namespace ActorSocket.Actors.Handlers;

/// <summary>
/// Runs an Akka.Streams <see cref="Flow{TIn, TOut, TMat}"/> of <see cref="WsMessage"/> as a
/// connection's handler, with backpressure both ways: the connection stops reading its socket while
/// the flow has <see cref="InboundWindow"/> messages it has not taken, and the flow's output waits
/// while the connection's outbound buffer is half full.
/// </summary>
/// <remarks>
/// The flow completing closes the connection with 1000; the flow failing closes it with 1011.
/// </remarks>
internal sealed class FlowHandler : UntypedActor, IWithUnboundedStash
{
    /// <summary>Messages handed to the flow but not yet taken: the connection reads no further until one is.</summary>
    public const int InboundWindow = 16;

    private readonly Func<ConnectionInfo, Flow<WsMessage, WsMessage, NotUsed>> _flow;
    private ISourceQueueWithComplete<WsMessage>? _queue;
    private IActorRef _connection = ActorRefs.Nobody;
    private bool _offering;

    /// <summary>Creates the adapter for one connection.</summary>
    public FlowHandler(Func<ConnectionInfo, Flow<WsMessage, WsMessage, NotUsed>> flow) => _flow = flow;

    /// <inheritdoc />
    public IStash Stash { get; set; } = null!;

    /// <summary>Props for one connection's flow handler.</summary>
    public static Props Props(Func<ConnectionInfo, Flow<WsMessage, WsMessage, NotUsed>> flow) =>
        Akka.Actor.Props.Create(() => new FlowHandler(flow));

    private sealed record Offered(IQueueOfferResult Result);

    private sealed record FlowEnded(Exception? Error);

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Handler.Connected connected:
                Start(connected);
                break;
            case Handler.TextMessage text:
                Offer(new WsMessage.Text(text.Text));
                break;
            case Handler.BinaryMessage binary:
                Offer(new WsMessage.Binary(binary.Data));
                break;
            case Offered:
                _offering = false;
                _connection.Tell(Connection.Ack.Instance); // the flow took it: the connection may read on
                Stash.Unstash();
                break;
            case FlowEnded { Error: { } error }:
                throw new InvalidOperationException("The handler's flow failed: " + error.Message, error);
            case FlowEnded:
                Context.Stop(Self); // completed: the connection closes with 1000
                break;
            case Handler.Disconnected:
                _queue?.Complete();
                Context.Stop(Self);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Start(Handler.Connected connected)
    {
        _connection = connected.Connection;
        IActorRef self = Self;
        IActorRef connection = connected.Connection;
        var (queue, done) = Source.Queue<WsMessage>(InboundWindow, OverflowStrategy.Backpressure)
            .Via(_flow(connected.Info))
            // One message at a time: the next waits until the connection has room for it.
            .SelectAsync(1, reply => connection.Ask<Connection.Sent>(new Connection.SendAndAck(reply), TimeSpan.FromMinutes(1)))
            .ToMaterialized(Sink.Ignore<Connection.Sent>(), Keep.Both)
            .Run(Context.Materializer());
        _queue = queue;
        done.ContinueWith(task => self.Tell(new FlowEnded(task.Exception?.GetBaseException())), TaskContinuationOptions.ExecuteSynchronously);
    }

    private void Offer(WsMessage element)
    {
        if (_offering || _queue is null)
        {
            Stash.Stash(); // one offer at a time keeps the order
            return;
        }

        _offering = true;
        _queue.OfferAsync(element).PipeTo(Self, success: result => new Offered(result), failure: error => new FlowEnded(error));
    }
}
