using ActorSocket.Actors.Topics;
using ActorSocket.Protocol;
using ActorSocket.Protocol.PubSub;
using Akka.Actor;

namespace ActorSocket.Actors.Handlers;

/// <summary>
/// The <c>/pubsub</c> handler: the JSON protocol of <c>PROTOCOL.md</c> over a topic backend. The
/// connection itself is the subscriber, so a published frame goes from the topic straight to the
/// connection; this handler only parses requests and answers them.
/// </summary>
public sealed class PubSubHandler : UntypedActor
{
    private readonly IActorRef _topics;
    private readonly PubSubSettings _settings;
    private readonly HashSet<string> _subscribed = new(StringComparer.Ordinal);
    private IActorRef _connection = ActorRefs.Nobody;

    /// <summary>Creates the handler for one connection.</summary>
    /// <param name="topics">The topic backend (see <see cref="Topic"/>).</param>
    /// <param name="settings">Limits.</param>
    public PubSubHandler(IActorRef topics, PubSubSettings settings)
    {
        _topics = topics;
        _settings = settings;
    }

    /// <summary>Props for one connection's handler.</summary>
    public static Props Props(IActorRef topics, PubSubSettings settings) =>
        Akka.Actor.Props.Create(() => new PubSubHandler(topics, settings));

    /// <summary>The backend's acknowledgement of a request that carried an id.</summary>
    private sealed record Acked(byte[] Id);

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Handler.Connected connected:
                _connection = connected.Connection;
                break;
            case Handler.TextMessage text:
                OnRequest(text.Utf8);
                break;
            case Handler.BinaryMessage:
                // PROTOCOL.md: "A binary frame on /pubsub is answered with close code 1003."
                _connection.Tell(new Connection.Close(CloseCode.UnsupportedData, "binary frames are not accepted on /pubsub"));
                break;
            case Acked acked:
                _connection.Tell(new Connection.SendText(PubSubCodec.EncodeAck(acked.Id)));
                break;
            case Handler.Disconnected:
                Context.Stop(Self); // the topics watch the connection: its subscriptions go with it
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnRequest(byte[] json)
    {
        if (!PubSubCodec.TryParse(json, _settings.Limits, out PubSubRequest request, out PubSubError error))
        {
            Reply(error);
            return;
        }

        object? ack = request.HasId ? new Acked(request.Id.ToArray()) : null;
        switch (request.Op)
        {
            case PubSubOp.Subscribe:
                if (!_subscribed.Contains(request.Topic) && _subscribed.Count >= _settings.MaxTopicsPerConnection)
                {
                    Reply(new PubSubError(PubSubError.Forbidden, "at most " + _settings.MaxTopicsPerConnection + " topics per connection", request.Id));
                    return;
                }

                _subscribed.Add(request.Topic);
                _topics.Tell(new Topic.Subscribe(request.Topic, _connection, ack));
                break;
            case PubSubOp.Unsubscribe:
                _subscribed.Remove(request.Topic);
                _topics.Tell(new Topic.Unsubscribe(request.Topic, _connection, ack));
                break;
            case PubSubOp.Publish:
                // Encoded once, here; every subscriber gets the same frame.
                _topics.Tell(new Topic.Publish(TopicMessage.Create(request.Topic, request.Data.Span), ack));
                break;
        }
    }

    private void Reply(PubSubError error) => _connection.Tell(new Connection.SendText(PubSubCodec.EncodeError(error)));
}
