using Akka.Actor;
using Akka.Cluster.Sharding;

namespace ActorSocket.Actors.Cluster;

/// <summary>
/// The owners of durable topics on a single node (no cluster, so no sharding): one
/// <see cref="TopicOwner"/> child per topic, made on the topic's first request, with the same
/// passivation handshake as a shard. While an owner stops, requests for its topic wait and go to
/// the next incarnation, so two never write the same stream at once.
/// </summary>
internal sealed class LocalOwners : UntypedActor
{
    private readonly Func<string, Props> _props;
    private readonly Dictionary<string, IActorRef> _owners = new(StringComparer.Ordinal);
    private readonly Dictionary<IActorRef, string> _topics = [];
    private readonly Dictionary<string, List<(object Message, IActorRef Sender)>> _waiting = new(StringComparer.Ordinal);
    private long _children;

    public LocalOwners(Func<string, Props> props) => _props = props;

    /// <summary>Props of the owners' parent, each owner made by <paramref name="props"/> from its topic.</summary>
    public static Props Props(Func<string, Props> props) => Akka.Actor.Props.Create(() => new LocalOwners(props));

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case IOwnerCommand command when _waiting.TryGetValue(command.Topic, out var waiting):
                waiting.Add((command, Sender));
                break;
            case IOwnerCommand command:
                OwnerOf(command.Topic).Forward(command);
                break;
            case Passivate passivate when _topics.TryGetValue(Sender, out string? topic):
                // From now until it stops, its topic's requests wait here.
                _waiting.TryAdd(topic, []);
                Sender.Tell(passivate.StopMessage);
                break;
            case Terminated terminated when _topics.Remove(terminated.ActorRef, out string? topic):
                _owners.Remove(topic);
                if (_waiting.Remove(topic, out var held) && held.Count > 0)
                {
                    IActorRef owner = OwnerOf(topic);
                    foreach ((object request, IActorRef sender) in held)
                    {
                        owner.Tell(request, sender);
                    }
                }

                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private IActorRef OwnerOf(string topic)
    {
        if (!_owners.TryGetValue(topic, out IActorRef? owner))
        {
            owner = Context.ActorOf(_props(topic), "owner-" + ++_children);
            Context.Watch(owner);
            _owners[topic] = owner;
            _topics[owner] = topic;
        }

        return owner;
    }
}
