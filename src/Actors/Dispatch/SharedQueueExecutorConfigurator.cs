using System.Collections.Concurrent;
using Akka.Configuration;
using Akka.Dispatch;

namespace ActorSocket.Actors.Dispatch;

/// <summary>
/// An Akka executor for handlers: a fixed set of threads of its own that all take work from one
/// shared queue, so that a handler blocking its thread holds back nothing but itself while other
/// threads are free.
/// </summary>
/// <remarks>
/// Akka's <c>ForkJoinDispatcher</c> gives each of its threads a queue of its own: work queued behind
/// a blocked thread waits for it. The .NET thread pool shares its threads with socket I/O and grows
/// only slowly when they block. Configure it as
/// <c>executor = "ActorSocket.Actors.Dispatch.SharedQueueExecutorConfigurator, ActorSocket.Actors"</c>
/// with <c>shared-queue-executor.thread-count</c>.
/// </remarks>
internal sealed class SharedQueueExecutorConfigurator : ExecutorServiceConfigurator
{
    private readonly int _threads;

    /// <summary>Called by Akka with the dispatcher's configuration.</summary>
    public SharedQueueExecutorConfigurator(Config config, IDispatcherPrerequisites prerequisites)
        : base(config, prerequisites)
    {
        _threads = config.GetInt("shared-queue-executor.thread-count", 8);
        if (_threads < 1)
        {
            throw new ConfigurationException("shared-queue-executor.thread-count must be at least 1.");
        }
    }

    /// <inheritdoc />
    public override ExecutorService Produce(string id) => new SharedQueueExecutor(id, _threads);

    private sealed class SharedQueueExecutor : ExecutorService
    {
        private readonly BlockingCollection<IRunnable> _queue = new(new ConcurrentQueue<IRunnable>());

        public SharedQueueExecutor(string id, int threads)
            : base(id)
        {
            for (int i = 0; i < threads; i++)
            {
                var thread = new Thread(Work) { IsBackground = true, Name = id + "-" + i };
                thread.Start();
            }
        }

        public override void Execute(IRunnable run) => _queue.Add(run);

        public override void Shutdown() => _queue.CompleteAdding();

        private void Work()
        {
            foreach (IRunnable run in _queue.GetConsumingEnumerable())
            {
                run.Run();
            }
        }
    }
}
