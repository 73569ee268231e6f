using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ActorSocket.Gateway.Tests;

/// <summary>
/// A throwaway PostgreSQL server for the tests of durable history: Debian's <c>postgresql</c>
/// package (test.sh installs it when missing), a new cluster in a temporary directory on a free
/// loopback port, run as the <c>postgres</c> user when the tests run as root (PostgreSQL refuses
/// root). Stopped and deleted on dispose. A test may stop and start it to play a database outage.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "actorsocket-pg-" + Guid.NewGuid().ToString("N")[..12]);
    private string _bin = string.Empty;
    private int _databases;

    /// <summary>The port the server listens on (127.0.0.1).</summary>
    public int Port { get; private set; }

    /// <summary>Addresses it listens on besides 127.0.0.1 (comma-separated; such as a fault lab's host address).</summary>
    public string? AlsoListenOn { get; init; }

    /// <summary>A network (CIDR) whose clients are trusted besides loopback (such as a fault lab's nodes).</summary>
    public string? TrustedNetwork { get; init; }

    private string DataDirectory => Path.Combine(_directory, "data");

    private static bool Root => Environment.UserName == "root";

    /// <summary>Initialises the cluster and starts the server.</summary>
    public async Task InitializeAsync()
    {
        _bin = Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(path => int.Parse(Path.GetFileName(path), CultureInfo.InvariantCulture)).Select(path => Path.Combine(path, "bin")).FirstOrDefault(path => File.Exists(Path.Combine(path, "initdb")))
            ?? throw new InvalidOperationException("PostgreSQL is not installed (Debian's postgresql package; ./test.sh installs it)");
        Directory.CreateDirectory(_directory);
        if (Root)
        {
            await RunAsync("chown", ["postgres:postgres", _directory]);
        }

        await RunAsPostgresAsync("initdb", ["-D", DataDirectory, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
        if (TrustedNetwork is not null)
        {
            await File.AppendAllTextAsync(Path.Combine(DataDirectory, "pg_hba.conf"), "host all all " + TrustedNetwork + " trust\n");
        }
        Port = FreePort();
        await StartAsync();
    }

    /// <summary>Starts the server (again).</summary>
    public Task StartAsync() => RunAsPostgresAsync("pg_ctl", [
        "-D", DataDirectory, "-w", "-t", "60", "-l", Path.Combine(_directory, "server.log"),
        "-o", "-p " + Port.ToString(CultureInfo.InvariantCulture) + " -k " + _directory + " -c listen_addresses=127.0.0.1" + (AlsoListenOn is null ? string.Empty : "," + AlsoListenOn) + " -c fsync=off -c max_connections=200",
        "start"]);

    /// <summary>Stops the server at once (fast shutdown: connections are cut), as an outage would.</summary>
    public Task StopAsync() => RunAsPostgresAsync("pg_ctl", ["-D", DataDirectory, "-w", "-t", "60", "-m", "fast", "stop"]);

    /// <summary>A new empty database; its Npgsql connection string, to 127.0.0.1 or to <paramref name="host"/> (one of <see cref="AlsoListenOn"/>).</summary>
    public async Task<string> CreateDatabaseAsync(string host = "127.0.0.1")
    {
        string name = "actorsocket_" + Interlocked.Increment(ref _databases).ToString(CultureInfo.InvariantCulture);
        await RunAsPostgresAsync("createdb", ["-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", name]);
        return $"Host={host};Port={Port};Database={name};Username=postgres;Pooling=true;Timeout=5;Command Timeout=5";
    }

    /// <summary>Stops the server and deletes its files.</summary>
    public async Task DisposeAsync()
    {
        if (_bin.Length > 0 && File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
        {
            await RunAsPostgresAsync("pg_ctl", ["-D", DataDirectory, "-w", "-t", "60", "-m", "immediate", "stop"]);
        }

        Directory.Delete(_directory, recursive: true);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private Task RunAsPostgresAsync(string program, IEnumerable<string> arguments)
    {
        string path = Path.Combine(_bin, program);
        return Root ? RunAsync("runuser", ["-u", "postgres", "--", path, .. arguments]) : RunAsync(path, arguments);
    }

    private static async Task RunAsync(string program, IEnumerable<string> arguments)
    {
        (int exitCode, string output) = await ExternalProcess.RunAsync(program, arguments, CommandTimeout);
        if (exitCode != 0)
        {
            throw new InvalidOperationException(program + " failed (" + exitCode.ToString(CultureInfo.InvariantCulture) + "): " + output);
        }
    }
}

/// <summary>The tests that share one <see cref="PostgresServer"/> (each in a database of its own), run one after another.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "PostgreSQL";
}
