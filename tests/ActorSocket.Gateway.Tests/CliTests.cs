using System.Diagnostics;
using System.Text.Json;

namespace ActorSocket.Gateway.Tests;

/// <summary>The daemon's subcommands, run as an operator runs them, against a running daemon.</summary>
public class CliTests
{
    private static string Daemon => Path.Combine(AppContext.BaseDirectory, "actorsocket.dll");

    private static Task<(int ExitCode, string Output)> RunAsync(params string[] args) =>
        ExternalProcess.RunAsync("dotnet", [Daemon, .. args], TimeSpan.FromSeconds(60));

    [Fact]
    public async Task Publish_then_subscribe_round_trip_over_a_websocket_and_the_api()
    {
        await using TestServer server = await TestServer.StartAsync("actorsocket.api.keys = [\"cli-key\"]");
        string address = "127.0.0.1:" + server.Port;

        // subscribe: runs until it has printed two messages; says on standard error when it is subscribed.
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { Daemon, "subscribe", "room:cli", "--count", "2", "--server", address })
        {
            start.ArgumentList.Add(arg);
        }

        using Process subscriber = Process.Start(start)!;
        try
        {
            string? status = await subscriber.StandardError.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.StartsWith("actorsocket: subscribed to room:cli", status);

            (int code, string output) = await RunAsync("publish", "room:cli", "{\"n\":1}", "--server", address);
            Assert.Equal((0, "{}"), (code, output.Trim()));
            (code, output) = await RunAsync("publish", "room:cli", "plain words", "--server", address, "--api-key", "cli-key");
            Assert.Equal(0, code);
            Assert.Equal(2, JsonDocument.Parse(output).RootElement.GetProperty("offset").GetInt64());

            Task<string> printed = subscriber.StandardOutput.ReadToEndAsync();
            await subscriber.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(0, subscriber.ExitCode);
            Assert.Equal(
                ["{\"topic\":\"room:cli\",\"offset\":1,\"data\":{\"n\":1}}", "{\"topic\":\"room:cli\",\"offset\":2,\"data\":\"plain words\"}"],
                (await printed).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }
        finally
        {
            if (!subscriber.HasExited)
            {
                subscriber.Kill();
            }
        }

        // history and presence print what the API answers, by either path.
        (int exit, string history) = await RunAsync("history", "room:cli", "--limit", "1", "--server", address);
        Assert.Equal(0, exit);
        JsonElement page = JsonDocument.Parse(history).RootElement;
        Assert.False(page.TryGetProperty("op", out _));
        Assert.Equal("plain words", Assert.Single(page.GetProperty("messages").EnumerateArray()).GetProperty("data").GetString());
        (exit, string stats) = await RunAsync("presence", "room:cli", "--stats", "--server", address, "--api-key", "cli-key");
        Assert.Equal(0, exit);
        Assert.True(JsonDocument.Parse(stats).RootElement.TryGetProperty("clients", out _));
    }

    [Fact]
    public async Task Errors_exit_1_with_the_servers_code_and_usage_mistakes_exit_with_help()
    {
        await using TestServer server = await TestServer.StartAsync("actorsocket.api.keys = [\"cli-key\"]");
        string address = "127.0.0.1:" + server.Port;
        (int code, string output) = await RunAsync("history", "plain:x", "--server", address);
        Assert.Equal(1, code);
        Assert.Contains("actorsocket: bad_request:", output, StringComparison.Ordinal);
        (code, output) = await RunAsync("publish", "room:x", "1", "--server", address, "--api-key", "wrong");
        Assert.Equal(1, code);
        Assert.Contains("actorsocket: unauthorized:", output, StringComparison.Ordinal);
        (code, _) = await RunAsync("publish", "room:x"); // the data is missing
        Assert.NotEqual(0, code);

        foreach (string command in new[] { "publish", "subscribe", "presence", "history" })
        {
            (code, output) = await RunAsync(command, "--help");
            Assert.Equal(0, code);
            Assert.Contains("actorsocket " + command, output, StringComparison.Ordinal);
            Assert.Contains("--server", output, StringComparison.Ordinal);
        }
    }
}
