using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace ActorSocket.Gateway.Configuration;

/// <summary>What the history store needs before the first durable topic opens it.</summary>
internal static class HistoryStorePreparation
{
    /// <summary>
    /// SQLite: creates the data directory and puts the file in write-ahead-log mode (readers do not
    /// wait for the writer; a commit appends to the log). A failure is logged in one line and the
    /// daemon serves on: durable topics answer <c>unavailable</c> until the store can be opened.
    /// PostgreSQL needs nothing here (the plugin creates its tables).
    /// </summary>
    public static void Prepare(HistoryStoreOptions options, ILogger logger)
    {
        if (options.Provider != "sqlite")
        {
            logger.LogInformation("Durable topics keep their history in PostgreSQL");
            return;
        }

        try
        {
            Directory.CreateDirectory(options.DataDirectory);
            using var connection = new SqliteConnection("Data Source=" + options.SqliteFile);
            connection.Open();
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode=WAL;";
            command.ExecuteNonQuery();
            logger.LogInformation("Durable topics keep their history in {File}", Path.GetFullPath(options.SqliteFile));
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or SqliteException)
        {
            logger.LogError("The history store {File} cannot be opened ({Reason}); publishes to durable topics are answered unavailable until it can", Path.GetFullPath(options.SqliteFile), error.Message);
        }
    }
}
