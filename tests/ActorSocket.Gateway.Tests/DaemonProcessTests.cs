using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.RegularExpressions;

namespace ActorSocket.Gateway.Tests;

/// <summary>The daemon as a separate process, as a user runs it.</summary>
public partial class DaemonProcessTests
{
    private static string Daemon => Path.Combine(AppContext.BaseDirectory, "actorsocket.dll");

    [GeneratedRegex(@"listening on (ws://127\.0\.0\.1:(\d+))")]
    private static partial Regex ListeningLine();

    [Fact]
    public async Task Help_lists_the_options_and_a_bad_option_is_refused()
    {
        var (code, output) = await ExternalProcess.RunAsync("dotnet", [Daemon, "--help"], TimeSpan.FromSeconds(30));
        Assert.Equal(0, code);
        foreach (string option in new[] { "--config", "--host", "--port", "--log-level", "--log-format" })
        {
            Assert.Contains(option, output);
        }

        (code, output) = await ExternalProcess.RunAsync("dotnet", [Daemon, "--port", "http"], TimeSpan.FromSeconds(30));
        Assert.Equal(2, code);
        Assert.Contains("--port takes a number", output);
    }

    [Fact]
    public async Task Json_logs_are_one_compact_JSON_event_per_line()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { Daemon, "--port", "0", "--log-format", "json" })
        {
            start.ArgumentList.Add(arg);
        }

        using Process daemon = Process.Start(start)!;
        try
        {
            var listening = new TaskCompletionSource<System.Text.Json.JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
            daemon.OutputDataReceived += (_, line) =>
            {
                if (line.Data is null)
                {
                    listening.TrySetException(new InvalidOperationException("the daemon exited"));
                    return;
                }

                try
                {
                    using var document = System.Text.Json.JsonDocument.Parse(line.Data);
                    if (document.RootElement.GetProperty("@mt").GetString()!.Contains("listening on", StringComparison.Ordinal))
                    {
                        listening.TrySetResult(document.RootElement.Clone());
                    }
                }
                catch (System.Text.Json.JsonException error)
                {
                    listening.TrySetException(new InvalidOperationException("not JSON: " + line.Data, error));
                }
            };
            daemon.ErrorDataReceived += (_, _) => { };
            daemon.BeginOutputReadLine();
            daemon.BeginErrorReadLine();
            System.Text.Json.JsonElement line = await listening.Task.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.StartsWith("ws://127.0.0.1:", line.GetProperty("Url").GetString());
            Assert.True(line.TryGetProperty("@t", out _));
        }
        finally
        {
            daemon.Kill(entireProcessTree: true);
            await daemon.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task A_cluster_node_logs_only_JSON_lines_from_start_to_exit()
    {
        // Akka prints its last shutdown lines (remoting) through a stdout logger of its own; they
        // must not break a log shipper's one-event-per-line input.
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { Daemon, "--port", "0", "--cluster", "--cluster-port", "0", "--log-format", "json" })
        {
            start.ArgumentList.Add(arg);
        }

        var lines = new List<string>();
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using Process daemon = Process.Start(start)!;
        daemon.OutputDataReceived += (_, line) =>
        {
            if (line.Data is null)
            {
                return;
            }

            lock (lines)
            {
                lines.Add(line.Data);
            }

            if (line.Data.Contains("Cluster member", StringComparison.Ordinal) && line.Data.Contains("\"Up\"", StringComparison.Ordinal))
            {
                up.TrySetResult();
            }
        };
        daemon.ErrorDataReceived += (_, line) =>
        {
            if (line.Data is not null)
            {
                lock (lines)
                {
                    lines.Add(line.Data);
                }
            }
        };
        daemon.BeginOutputReadLine();
        daemon.BeginErrorReadLine();
        try
        {
            await up.Task.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(await ExternalProcess.TerminateAsync(daemon, TimeSpan.FromSeconds(30)), "no exit after SIGTERM");
            Assert.Equal(0, daemon.ExitCode);
        }
        finally
        {
            if (!daemon.HasExited)
            {
                daemon.Kill(entireProcessTree: true);
            }
        }

        lock (lines)
        {
            Assert.Contains(lines, l => l.Contains("Remoting", StringComparison.Ordinal)); // Akka's own events came through, as JSON
            Assert.All(lines, l => System.Text.Json.JsonDocument.Parse(l).Dispose());
        }
    }

    [Fact]
    public async Task A_config_file_is_layered_under_the_flags()
    {
        string file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, "actorsocket { port = 9999, ping-interval = 7s }");
            var (code, output) = await ExternalProcess.RunAsync("dotnet", [Daemon, "--config", file, "--port", "1234", "--print-config"], TimeSpan.FromSeconds(30));
            Assert.Equal(0, code);
            Assert.Contains("port : 1234", output);
            Assert.Contains("ping-interval : 7s", output);
            Assert.Contains("max-message-size : 1048576", output);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Print_config_never_prints_a_secret()
    {
        var (code, output) = await ExternalProcess.RunAsync(
            "dotnet",
            [
                Daemon, "--print-config",
                "--set", "actorsocket.tls.password = hunter2-pfx",
                "--set", "actorsocket.routes.\"/b\" { handler = echo, auth { type = bearer, tokens { \"tok-s3cr3t\" = alice } } }",
                "--set", "actorsocket.routes.\"/u\" { handler = echo, auth { type = basic, users { bob = \"pw-s3cr3t\" } } }",
                "--set", "actorsocket.history-store.connection-string = \"Host=db;Password=pg-s3cr3t\"",
                "--set", "actorsocket.api.keys = [\"api-s3cr3t-1\", \"api-s3cr3t-2\"]",
            ],
            TimeSpan.FromSeconds(30));
        Assert.Equal(0, code);
        Assert.DoesNotContain("hunter2-pfx", output);
        Assert.DoesNotContain("pg-s3cr3t", output);
        Assert.DoesNotContain("api-s3cr3t", output);
        Assert.Contains("connection-string : \"<redacted>\"", output);
        Assert.DoesNotContain("tok-s3cr3t", output);
        Assert.DoesNotContain("pw-s3cr3t", output);
        Assert.Contains("\"<token 1 redacted>\" : alice", output); // who may connect stays visible
        Assert.Contains("bob : \"<redacted>\"", output);
    }

    [Fact]
    public async Task The_daemon_prints_its_address_serves_and_exits_0_on_SIGTERM_after_closing_with_1001()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { Daemon, "--port", "0" })
        {
            start.ArgumentList.Add(arg);
        }

        using Process daemon = Process.Start(start)!;
        try
        {
            string url = await ReadListeningUrlAsync(daemon);
            int port = new Uri(url).Port;
            Assert.StartsWith("HTTP/1.1 200 OK", await RawClient.HttpAsync(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));

            using var client = new ClientWebSocket();
            await client.ConnectAsync(new Uri(url + "/echo"), CancellationToken.None);
            Task<WebSocketReceiveResult> closing = client.ReceiveAsync(new byte[16], CancellationToken.None);

            using (Process kill = Process.Start("kill", ["-TERM", daemon.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            WebSocketReceiveResult result = await closing.WaitAsync(TimeSpan.FromSeconds(20));
            Assert.Equal(WebSocketMessageType.Close, result.MessageType);
            Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, result.CloseStatus);
            await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);

            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await daemon.WaitForExitAsync(exit.Token);
            Assert.Equal(0, daemon.ExitCode);
        }
        finally
        {
            if (!daemon.HasExited)
            {
                daemon.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>
    /// Starts draining both pipes with the process's own event-based readers (a pipe's async read may
    /// block its caller) and returns the URL from the "listening on" line.
    /// </summary>
    private static async Task<string> ReadListeningUrlAsync(Process daemon)
    {
        var url = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Text.StringBuilder();
        daemon.OutputDataReceived += (_, line) =>
        {
            Match match = ListeningLine().Match(line.Data ?? string.Empty);
            if (match.Success)
            {
                url.TrySetResult(match.Groups[1].Value);
            }
            else if (line.Data is null)
            {
                url.TrySetException(new InvalidOperationException("the daemon exited before listening: " + output));
            }

            lock (output)
            {
                output.AppendLine(line.Data);
            }
        };
        daemon.ErrorDataReceived += (_, line) =>
        {
            lock (output)
            {
                output.AppendLine(line.Data);
            }
        };
        daemon.BeginOutputReadLine();
        daemon.BeginErrorReadLine();
        return await url.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }
}
