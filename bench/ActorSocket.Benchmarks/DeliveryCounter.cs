using ActorSocket.Actors.Topics;
using Akka.Actor;

namespace ActorSocket.Benchmarks;

/// <summary>A subscriber actor that counts the messages it receives down, one by one or in batches.</summary>
internal sealed class DeliveryCounter(CountdownEvent delivered) : UntypedActor
{
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case TopicMessages many:
                delivered.Signal(many.Messages.Count);
                break;
            case TopicMessage:
                delivered.Signal();
                break;
        }
    }
}
