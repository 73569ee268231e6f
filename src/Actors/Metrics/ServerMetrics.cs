using ActorSocket.Actors.Connections;
using Prometheus;

namespace ActorSocket.Actors.Metrics;

/// <summary>
/// The server's Prometheus metrics, in a registry of their own so that several servers can live in
/// one process (tests). Counters are thread-safe and cheap to increment.
/// </summary>
internal sealed class ServerMetrics
{
    /// <summary>Creates the metrics in a new registry.</summary>
    public ServerMetrics()
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        OpenConnections = factory.CreateGauge("actorsocket_connections_open", "WebSocket connections open now.");
        AcceptedConnections = factory.CreateCounter("actorsocket_connections_accepted_total", "TCP connections accepted.");
        Handshakes = factory.CreateCounter("actorsocket_handshakes_total", "HTTP requests answered, by status code.", "status");
        MessagesIn = factory.CreateCounter("actorsocket_messages_received_total", "WebSocket messages received.");
        MessagesOut = factory.CreateCounter("actorsocket_messages_sent_total", "WebSocket messages sent.");
        BytesIn = factory.CreateCounter("actorsocket_bytes_received_total", "Bytes read from sockets.");
        BytesOut = factory.CreateCounter("actorsocket_bytes_sent_total", "Bytes written to sockets.");
        Topics = factory.CreateGauge("actorsocket_topics", "Topics with a topic actor on this node.");
        Subscriptions = factory.CreateGauge("actorsocket_subscriptions", "Subscriptions on this node.");
        Publishes = factory.CreateCounter("actorsocket_publishes_total", "Messages published.");
        Deliveries = factory.CreateCounter("actorsocket_deliveries_total", "Messages handed to subscribers.");
        SlowConsumerCloses = factory.CreateCounter("actorsocket_slow_consumer_closes_total", "Connections closed with 1008 for falling behind.");
        SlowConsumerDrops = factory.CreateCounter("actorsocket_slow_consumer_drops_total", "Messages not sent to a subscriber that fell behind, on topics whose namespace drops rather than closes, by policy (drop-oldest, latest).", "policy");
        Closes = factory.CreateCounter("actorsocket_connections_closed_total", "WebSocket connections ended, by close code and cause.", "code", "cause");
        ClusterMembers = factory.CreateGauge("actorsocket_cluster_members", "Cluster members this node sees, by status (up, joining, leaving, ...).", "status");
        ClusterUnreachable = factory.CreateGauge("actorsocket_cluster_unreachable_members", "Cluster members this node's failure detector marks unreachable now.");
        ClusterUnreachableEvents = factory.CreateCounter("actorsocket_cluster_unreachable_events_total", "Times a member was marked unreachable.");
        ClusterBatchesOut = factory.CreateCounter("actorsocket_cluster_batches_sent_total", "Batches of published messages handed to the cluster (each crosses to every other node once).");
        ClusterMessagesOut = factory.CreateCounter("actorsocket_cluster_messages_sent_total", "Published messages handed to the cluster.");
        ClusterBatchesIn = factory.CreateCounter("actorsocket_cluster_batches_received_total", "Batches of published messages received from other nodes.");
        ClusterMessagesIn = factory.CreateCounter("actorsocket_cluster_messages_received_total", "Published messages received from other nodes.");
        ClusterConfirmTimeouts = factory.CreateCounter("actorsocket_cluster_subscribe_confirm_timeouts_total", "Subscriptions acknowledged before every node confirmed them (confirm-timeout passed).");
        HistoryBytes = factory.CreateGauge("actorsocket_history_bytes", "Bytes the topic histories of this node hold (payloads and per-message overhead), under actorsocket.pubsub.history-max-bytes.");
        HistoryMessages = factory.CreateGauge("actorsocket_history_messages", "Messages the topic histories of this node hold.");
        Recoveries = factory.CreateCounter("actorsocket_recoveries_total", "Subscribes with since, by result: recovered (the missed messages were replayed) or not_recovered (the client must resynchronise).", "result");
        TopicOwners = factory.CreateGauge("actorsocket_topic_owners", "Topics with history whose owner (the single writer that orders them across the cluster) runs on this node.");
        OwnerHandovers = factory.CreateCounter("actorsocket_history_owner_handovers_total", "Topic streams whose owner was lost and started again in a new epoch on this node.");
        PublishesInDoubt = factory.CreateCounter("actorsocket_history_publishes_in_doubt_total", "Publishes to topics with history whose owner was lost before confirming them: answered unavailable; they may or may not have reached the subscribers.");
        HistoryStoreUp = factory.CreateGauge("actorsocket_history_store_up", "1 while the store of durable topics (actorsocket.history-store) answers, 0 from a failed operation until one succeeds; 1 when no namespace is durable.");
        HistoryStoreUp.Set(1);
        HistoryStoreFailures = factory.CreateCounter("actorsocket_history_store_failures_total", "Operations on the store of durable topics that failed (recovering, writing, snapshots, trimming).");
        HistoryStoreWrites = factory.CreateCounter("actorsocket_history_store_writes_total", "Writes to the store of durable topics (each one burst of a topic's publishes).");
        HistoryStoreMessagesWritten = factory.CreateCounter("actorsocket_history_store_messages_written_total", "Messages written to the store of durable topics.");
        TokenRefusals = factory.CreateCounter("actorsocket_token_refusals_total", "Tokens refused (bad signature, expired, malformed, another user's), by where they were presented: handshake (401), connect (3000), refresh (an error).", "stage");
        PermissionRefusals = factory.CreateCounter("actorsocket_permission_refusals_total", "Requests refused by a namespace's permissions, a private topic or a user channel, by answer (forbidden, unauthorized).", "code");
        RateLimited = factory.CreateCounter("actorsocket_rate_limited_total", "Requests answered rate_limited.");
        RateLimitCloses = factory.CreateCounter("actorsocket_rate_limit_closes_total", "Connections closed with 1008 rate limit after spending their error budget.");
        PresentClients = factory.CreateGauge("actorsocket_present_clients", "Clients present on topics of namespaces with presence, on this node.");
        PresenceFrames = factory.CreateCounter("actorsocket_presence_frames_total", "join, leave and presence-diff frames sent to subscribers.");
        ApiRequests = factory.CreateCounter("actorsocket_api_requests_total", "Server API requests answered, by endpoint and HTTP status.", "endpoint", "status");
        PresenceCoalesced = factory.CreateCounter("actorsocket_presence_coalesced_total", "Presence changes that waited for a coalescing window and went out in a presence-diff.");
        UserLimitUnanswered = factory.CreateCounter("actorsocket_user_limit_unanswered_total", "Per-user rate limit checks let through because the user's group did not answer in time (its node went, its shard moved).");
        UserLimitUntracked = factory.CreateCounter("actorsocket_user_limit_untracked_total", "Publishes let through because a group of users already tracked its maximum of users.");
        RefusedConnections = factory.CreateCounter("actorsocket_connections_refused_total", "Connections answered and closed at accept, before any work for them, by reason (capacity, per-address, rate).", "reason");

        // Process and runtime figures, read when scraped: CPU seconds, resident and private memory,
        // open handles, threads, GC collections by generation and the managed heap.
        DotNetStats.Register(Registry);
        var heap = factory.CreateGauge("dotnet_gc_heap_size_bytes", "Managed heap size after the last collection (GC.GetGCMemoryInfo).");
        var pause = factory.CreateGauge("dotnet_gc_pause_time_percent", "Share of time the GC paused the process since start.");
        var poolThreads = factory.CreateGauge("dotnet_threadpool_threads", "Thread-pool threads now.");
        var poolQueue = factory.CreateGauge("dotnet_threadpool_queue_length", "Work items waiting for a thread-pool thread.");
        var bufferPool = factory.CreateGauge("actorsocket_buffer_pool_bytes", "Bytes the connections' buffer pool holds for reuse (freed when unused for a trim period).");
        Registry.AddBeforeCollectCallback(() =>
        {
            GCMemoryInfo info = GC.GetGCMemoryInfo();
            heap.Set(info.HeapSizeBytes);
            pause.Set(info.PauseTimePercentage);
            poolThreads.Set(ThreadPool.ThreadCount);
            poolQueue.Set(ThreadPool.PendingWorkItemCount);
            bufferPool.Set(ActorSocket.Actors.Transport.ConnectionBuffers.Pool.RetainedBytes);
        });
    }

    /// <summary>Tokens refused, by stage.</summary>
    public Counter TokenRefusals { get; }

    /// <summary>Requests refused by permissions, by code.</summary>
    public Counter PermissionRefusals { get; }

    /// <summary>Requests answered rate_limited.</summary>
    public Counter RateLimited { get; }

    /// <summary>Connections closed for exhausting their rate-limit error budget.</summary>
    public Counter RateLimitCloses { get; }

    /// <summary>Clients present on topics with presence.</summary>
    public Gauge PresentClients { get; }

    /// <summary>Presence frames sent.</summary>
    public Counter PresenceFrames { get; }

    /// <summary>Server API requests answered, by endpoint (unknown ones as <c>other</c>) and status.</summary>
    public Counter ApiRequests { get; }

    /// <summary>Presence changes coalesced into a diff.</summary>
    public Counter PresenceCoalesced { get; }

    /// <summary>Per-user limit checks let through unanswered.</summary>
    public Counter UserLimitUnanswered { get; }

    /// <summary>Publishes let through because a group of users was full.</summary>
    public Counter UserLimitUntracked { get; }

    /// <summary>Bytes held by topic histories.</summary>
    public Gauge HistoryBytes { get; }

    /// <summary>Messages held by topic histories.</summary>
    public Gauge HistoryMessages { get; }

    /// <summary>Recoveries by result.</summary>
    public Counter Recoveries { get; }

    /// <summary>Publishes lost with their owner, possibly undelivered.</summary>
    public Counter PublishesInDoubt { get; }

    /// <summary>Whether the store of durable topics answers (1) or not (0).</summary>
    public Gauge HistoryStoreUp { get; }

    /// <summary>Failed operations on the store of durable topics.</summary>
    public Counter HistoryStoreFailures { get; }

    /// <summary>Writes to the store of durable topics.</summary>
    public Counter HistoryStoreWrites { get; }

    /// <summary>Messages written to the store of durable topics.</summary>
    public Counter HistoryStoreMessagesWritten { get; }

    /// <summary>Topic owners on this node.</summary>
    public Gauge TopicOwners { get; }

    /// <summary>Streams started again after their owner was lost.</summary>
    public Counter OwnerHandovers { get; }

    /// <summary>Connections refused at accept (over capacity or a per-address limit), by reason.</summary>
    public Counter RefusedConnections { get; }

    /// <summary>The registry to export.</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>WebSocket connections open now.</summary>
    public Gauge OpenConnections { get; }

    /// <summary>TCP connections accepted.</summary>
    public Counter AcceptedConnections { get; }

    /// <summary>HTTP responses by status (101 for accepted upgrades).</summary>
    public Counter Handshakes { get; }

    /// <summary>Messages received.</summary>
    public Counter MessagesIn { get; }

    /// <summary>Messages sent.</summary>
    public Counter MessagesOut { get; }

    /// <summary>Bytes read.</summary>
    public Counter BytesIn { get; }

    /// <summary>Bytes written.</summary>
    public Counter BytesOut { get; }

    /// <summary>Topics alive on this node.</summary>
    public Gauge Topics { get; }

    /// <summary>Subscriptions on this node.</summary>
    public Gauge Subscriptions { get; }

    /// <summary>Messages published.</summary>
    public Counter Publishes { get; }

    /// <summary>Messages handed to subscribers.</summary>
    public Counter Deliveries { get; }

    /// <summary>Messages dropped for subscribers behind, by policy.</summary>
    public Counter SlowConsumerDrops { get; }

    /// <summary>Slow-consumer closes.</summary>
    public Counter SlowConsumerCloses { get; }

    /// <summary>Connections ended, by code and cause.</summary>
    public Counter Closes { get; }

    /// <summary>Cluster members by status.</summary>
    public Gauge ClusterMembers { get; }

    /// <summary>Members unreachable now.</summary>
    public Gauge ClusterUnreachable { get; }

    /// <summary>Unreachable events seen.</summary>
    public Counter ClusterUnreachableEvents { get; }

    /// <summary>Batches published to the cluster.</summary>
    public Counter ClusterBatchesOut { get; }

    /// <summary>Messages published to the cluster.</summary>
    public Counter ClusterMessagesOut { get; }

    /// <summary>Batches received from other nodes.</summary>
    public Counter ClusterBatchesIn { get; }

    /// <summary>Messages received from other nodes.</summary>
    public Counter ClusterMessagesIn { get; }

    /// <summary>Subscribe acknowledgements given on timeout rather than on every node's confirmation.</summary>
    public Counter ClusterConfirmTimeouts { get; }

    /// <summary>Counts one ended connection.</summary>
    public void Count(ConnectionTerminated termination) =>
        Closes.WithLabels(((int)termination.CloseCode).ToString(System.Globalization.CultureInfo.InvariantCulture), termination.Cause.Name()).Inc();

    /// <summary>Writes the Prometheus text exposition format.</summary>
    public Task ExportAsync(Stream destination, CancellationToken cancellationToken) =>
        Registry.CollectAndExportAsTextAsync(destination, cancellationToken);
}
