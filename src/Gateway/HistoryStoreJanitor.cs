using System.Data.Common;
using ActorSocket.Actors.Cluster;
using ActorSocket.Gateway.Configuration;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ActorSocket.Gateway;

/// <summary>
/// Removes the journal rows Akka.Persistence.Sql keeps marked deleted (one per durable topic ever
/// trimmed, holding its last write, kept for the topic's highest sequence number), every
/// <c>history-store.cleanup-interval</c>. Safe for durable topics: a topic's rows are deleted only
/// after a snapshot at or past them was saved, or when the whole stream is forgotten, so its
/// sequence numbers never go back to a number a live row holds. Without it, a namespace where
/// clients choose topic names would leave a row per name for ever.
/// </summary>
internal sealed class HistoryStoreJanitor : IAsyncDisposable
{
    private readonly HistoryStoreOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;

    /// <summary>Starts the periodic cleanup of the store <paramref name="options"/> names.</summary>
    public HistoryStoreJanitor(HistoryStoreOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        _loop = RunAsync(_stopping.Token);
    }

    /// <summary>Removes the rows marked deleted once; the number removed.</summary>
    public async Task<int> CleanAsync(CancellationToken cancellation)
    {
        await using DbConnection connection = _options.Provider == "sqlite"
            ? new SqliteConnection("Data Source=" + _options.SqliteFile)
            : new NpgsqlConnection(_options.ConnectionString);
        await connection.OpenAsync(cancellation).ConfigureAwait(false);
        await using DbCommand command = connection.CreateCommand();
        command.CommandText = _options.Provider == "sqlite"
            ? "DELETE FROM journal WHERE deleted = 1"
            : "DELETE FROM public.journal WHERE deleted = true";
        command.CommandTimeout = Math.Max(1, (int)_options.Timeout.TotalSeconds * 6);
        return await command.ExecuteNonQueryAsync(cancellation).ConfigureAwait(false);
    }

    /// <summary>Stops the cleanup.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stopping.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellation)
    {
        using var timer = new PeriodicTimer(_options.CleanupInterval);
        while (await timer.WaitForNextTickAsync(cancellation).ConfigureAwait(false))
        {
            try
            {
                int removed = await CleanAsync(cancellation).ConfigureAwait(false);
                _logger.LogDebug("History store cleanup: {Rows} deleted journal rows removed", removed);
            }
            catch (Exception error) when (error is DbException or InvalidOperationException or IOException)
            {
                // The tables may not exist yet, or the store is down: its topics report that; try again next time.
                _logger.LogDebug("History store cleanup skipped ({Reason})", HistoryStore.Describe(error));
            }
        }
    }
}
