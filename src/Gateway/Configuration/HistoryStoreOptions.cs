using System.Globalization;
using ActorSocket.Actors.Topics;
using Akka.Configuration;

namespace ActorSocket.Gateway.Configuration;

/// <summary>
/// <c>actorsocket.data-directory</c> and <c>actorsocket.history-store</c>: where durable topics keep
/// their history, and the Akka.Persistence settings that stand for it. Nothing of it is used unless
/// a namespace has <c>history.durable = on</c>: the embedded defaults need no database.
/// </summary>
internal sealed record HistoryStoreOptions
{
    /// <summary>The environment variable that, when set, gives the connection string instead of the configuration (secrets stay out of files).</summary>
    public const string ConnectionStringVariable = "ACTORSOCKET_HISTORY_STORE_CONNECTION_STRING";

    /// <summary>The journal's plugin path.</summary>
    public const string JournalPluginId = "akka.persistence.journal.sql";

    /// <summary>The snapshot store's plugin path.</summary>
    public const string SnapshotPluginId = "akka.persistence.snapshot-store.sql";

    /// <summary>Whether any namespace is durable (otherwise no store is opened).</summary>
    public required bool Needed { get; init; }

    /// <summary>Where embedded stores keep their files.</summary>
    public required string DataDirectory { get; init; }

    /// <summary><c>sqlite</c> or <c>postgresql</c>.</summary>
    public required string Provider { get; init; }

    /// <summary>The connection string (never printed or logged).</summary>
    public required string ConnectionString { get; init; }

    /// <summary>Whether missing tables are created at start.</summary>
    public required bool AutoInitialize { get; init; }

    /// <summary>Longest a store operation may take before it counts as failed.</summary>
    public required TimeSpan Timeout { get; init; }

    /// <summary>How soon a durable topic tries the store again after a failure.</summary>
    public required TimeSpan Retry { get; init; }

    /// <summary>How often the journal rows marked deleted are removed (<see cref="HistoryStoreJanitor"/>).</summary>
    public TimeSpan CleanupInterval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>The SQLite file: <c>history.db</c> under the data directory.</summary>
    public string SqliteFile => Path.Combine(DataDirectory, "history.db");

    /// <summary>Reads the keys from the <c>actorsocket</c> section <paramref name="c"/>.</summary>
    public static HistoryStoreOptions From(Config c, NamespaceTable namespaces, bool cluster, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        string provider = c.GetString("history-store.provider", "sqlite");
        if (provider is not ("sqlite" or "postgresql"))
        {
            throw new ConfigurationException("actorsocket.history-store.provider = " + provider + ": expected sqlite or postgresql.");
        }

        bool needed = namespaces.AnyDurable;
        string connectionString = environment(ConnectionStringVariable) is { Length: > 0 } fromEnvironment
            ? fromEnvironment
            : c.GetString("history-store.connection-string", string.Empty);
        var options = new HistoryStoreOptions
        {
            Needed = needed,
            DataDirectory = c.GetString("data-directory", "data"),
            Provider = provider,
            ConnectionString = connectionString,
            AutoInitialize = c.GetBoolean("history-store.auto-initialize", true),
            Timeout = Positive(c.GetTimeSpan("history-store.timeout", TimeSpan.FromSeconds(5)), "history-store.timeout"),
            Retry = Positive(c.GetTimeSpan("history-store.retry", TimeSpan.FromSeconds(2)), "history-store.retry"),
            CleanupInterval = Positive(c.GetTimeSpan("history-store.cleanup-interval", TimeSpan.FromMinutes(10)), "history-store.cleanup-interval"),
        };
        if (needed && provider == "postgresql" && connectionString.Length == 0)
        {
            throw new ConfigurationException("actorsocket.history-store.provider = postgresql needs actorsocket.history-store.connection-string (or " + ConnectionStringVariable + ").");
        }

        if (needed && cluster && provider == "sqlite")
        {
            // Each node's file would hold only the topics it happened to own: an owner that moves would start over.
            throw new ConfigurationException("Durable history in a cluster needs a store every node reaches: set actorsocket.history-store.provider = postgresql.");
        }

        return options;
    }

    /// <summary>The Akka.Persistence settings of the store; empty when no namespace is durable.</summary>
    public Config ToAkkaConfig()
    {
        if (!Needed)
        {
            return Config.Empty;
        }

        string connection = Provider == "sqlite" ? "Data Source=" + SqliteFile : ConnectionString;
        string providerName = Provider == "sqlite" ? "SQLite.MS" : "PostgreSQL.15";
        string timeout = ((long)Timeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms";
        string reset = ((long)Retry.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms";
        string plugin = $$"""
              connection-string = {{Quote(connection)}}
              provider-name = "{{providerName}}"
              table-mapping = default
              auto-initialize = {{(AutoInitialize ? "on" : "off")}}
              warn-on-auto-init-fail = on
            """;
        return ConfigurationFactory.ParseString($$"""
            akka.persistence {
              journal {
                plugin = "{{JournalPluginId}}"
                sql {
            {{plugin}}
                  # A failing store fails fast: past max-failures the breaker answers at once, and tries
                  # again after reset-timeout.
                  circuit-breaker { max-failures = 5, call-timeout = {{timeout}}, reset-timeout = {{reset}} }
                }
              }
              snapshot-store {
                plugin = "{{SnapshotPluginId}}"
                sql {
            {{plugin}}
                  circuit-breaker { max-failures = 5, call-timeout = {{timeout}}, reset-timeout = {{reset}} }
                }
              }
            }
            """).WithFallback(Akka.Persistence.Sql.SqlPersistence.DefaultConfiguration);
    }

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static TimeSpan Positive(TimeSpan value, string key) =>
        value > TimeSpan.Zero ? value : throw new ConfigurationException($"actorsocket.{key} must be positive.");
}
