using ActorSocket.Actors.Transport;
using Akka.Configuration;
using Akka.Dispatch;

namespace ActorSocket.Actors.Dispatch;

/// <summary>
/// An Akka executor that runs a dispatcher's actors on one event loop's thread
/// (<see cref="ReadinessPoller.Loop"/>): the thread that also waits for that loop's sockets, so a
/// connection's reads, its actor's work and its sends need no other thread to be woken.
/// </summary>
/// <remarks>
/// Configure it as <c>executor = "ActorSocket.Actors.Dispatch.EventLoopExecutorConfigurator, ActorSocket.Actors"</c>
/// with <c>event-loop.index</c>; the daemon generates one such dispatcher per loop
/// (<c>actorsocket.event-loops</c>). Only actors that never block may run there.
/// </remarks>
internal sealed class EventLoopExecutorConfigurator : ExecutorServiceConfigurator
{
    private readonly int _index;

    /// <summary>Called by Akka with the dispatcher's configuration.</summary>
    public EventLoopExecutorConfigurator(Config config, IDispatcherPrerequisites prerequisites)
        : base(config, prerequisites)
    {
        _index = config.GetInt("event-loop.index", 0);
        if (_index < 0)
        {
            throw new ConfigurationException("event-loop.index must not be negative.");
        }
    }

    /// <inheritdoc />
    public override ExecutorService Produce(string id) =>
        new EventLoopExecutor(id, ReadinessPoller.Loop(_index) ?? throw new ConfigurationException("Event loop " + _index + " could not be made: " + ReadinessPoller.LoopUnavailable));

    /// <summary>
    /// Hands work to the loop. The loops live as long as the process: Akka shuts a dispatcher's
    /// executor down when it has had no actors for a while and produces a new one when it needs it
    /// again, and both are the same loop.
    /// </summary>
    private sealed class EventLoopExecutor(string id, ReadinessPoller loop) : ExecutorService(id)
    {
        public override void Execute(IRunnable run) => loop.Execute(run);

        public override void Shutdown()
        {
        }
    }
}
