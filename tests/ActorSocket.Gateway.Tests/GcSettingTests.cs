using System.Text.Json;

namespace ActorSocket.Gateway.Tests;

/// <summary>
/// The youngest GC generation is capped where the daemon is started (the README's <c>dotnet run</c>,
/// systemd, the container image, the benchmark scripts), all with one value; a daemon started
/// without it says so in its log. The runtime settings that can travel in the daemon's runtime
/// configuration do.
/// </summary>
public class GcSettingTests
{
    private const string Value = "0x400000";

    [Fact]
    public void Every_way_of_starting_the_daemon_caps_the_youngest_generation_alike()
    {
        using var launch = JsonDocument.Parse(File.ReadAllText(RepositoryFiles.Find("src/Gateway/Properties/launchSettings.json")));
        JsonElement profile = launch.RootElement.GetProperty("profiles").EnumerateObject().First().Value;
        Assert.Equal("Project", profile.GetProperty("commandName").GetString());
        Assert.Equal(Value, profile.GetProperty("environmentVariables").GetProperty("DOTNET_GCgen0size").GetString());

        Assert.Contains("Environment=DOTNET_GCgen0size=" + Value, File.ReadAllText(RepositoryFiles.Find("deploy/actorsocket.service")), StringComparison.Ordinal);
        Assert.Contains("ENV DOTNET_GCgen0size=" + Value, File.ReadAllText(RepositoryFiles.Find("deploy/Dockerfile")), StringComparison.Ordinal);
        foreach (string script in new[] { "bench/run.sh", "bench/ab.sh", "bench/soak.sh", "bench/run-cluster.sh", "deploy/run-local-cluster.sh" })
        {
            Assert.Contains("export DOTNET_GCgen0size=${DOTNET_GCgen0size:-" + Value + "}", File.ReadAllText(RepositoryFiles.Find(script)), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_daemon_says_once_whether_the_youngest_generation_is_capped()
    {
        // The test runner normally runs without the cap (test.sh does not set it); with it, the daemon says which.
        string expected = Environment.GetEnvironmentVariable("DOTNET_GCgen0size") is null ? "DOTNET_GCgen0size is not set" : "Youngest GC generation capped by DOTNET_GCgen0size";
        await using TestServer server = await TestServer.StartAsync();
        Assert.True(SpinWait.SpinUntil(() => server.LogEvents.Any(e => e.MessageTemplate.Text.StartsWith(expected, StringComparison.Ordinal)), TimeSpan.FromSeconds(10)));
        Assert.Single(server.LogEvents, e => e.MessageTemplate.Text.Contains("DOTNET_GCgen0size", StringComparison.Ordinal));
    }

    [Fact]
    public void The_daemon_carries_its_thread_pool_spin_limit_in_its_runtime_configuration()
    {
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "actorsocket.runtimeconfig.json")));
        JsonElement properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");
        Assert.Equal(10, properties.GetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit").GetInt32());
    }
}
