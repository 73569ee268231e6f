using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace ActorSocket.Gateway.Tests;

/// <summary>
/// One daemon process on a free loopback port with the embedded defaults plus the given arguments,
/// whose memory can be read from /proc while a test attacks it. Stopped with SIGTERM (killed if
/// need be) on dispose.
/// </summary>
public sealed partial class DaemonProcess : IAsyncDisposable
{
    private static string Daemon => Path.Combine(AppContext.BaseDirectory, "actorsocket.dll");

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<string> _url = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private DaemonProcess(IEnumerable<string> extra, IReadOnlyList<string>? launcher)
    {
        // A launcher (ip netns exec NAME) replaces itself with dotnet: the process id stays the daemon's.
        var start = new ProcessStartInfo(launcher is { Count: > 0 } ? launcher[0] : "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        var args = new List<string>();
        if (launcher is { Count: > 0 })
        {
            args.AddRange(launcher.Skip(1));
            args.Add("dotnet");
        }

        string[] given = [.. extra];
        args.AddRange(given.Contains("--port") ? [Daemon, "--log-level", "Information"] : [Daemon, "--port", "0", "--log-level", "Information"]);
        args.AddRange(given);
        args.ForEach(start.ArgumentList.Add);
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, line) => OnLine(line.Data);
        _process.ErrorDataReceived += (_, line) => OnLine(line.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The WebSocket base URL, ws://127.0.0.1:port.</summary>
    public string Url { get; private set; } = string.Empty;

    /// <summary>The HTTP port.</summary>
    public int Port => new Uri(Url).Port;

    /// <summary>The address it listens on (127.0.0.1 unless started with <c>--host</c>).</summary>
    public string Host => new Uri(Url).Host;

    /// <summary>Whether the process has ended (crashed, downed by the cluster, or stopped).</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The process id.</summary>
    public int Pid => _process.Id;

    /// <summary>Everything the process printed so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Waits until the process has printed <paramref name="text"/>; fails with its output after <paramref name="timeout"/>.</summary>
    public Task WaitForOutputAsync(string text, TimeSpan timeout) =>
        WaitForMatchAsync(new Regex("(" + Regex.Escape(text) + ")"), timeout);

    /// <summary>Waits until a line of the output matches <paramref name="pattern"/>; its first group.</summary>
    public async Task<string> WaitForMatchAsync(Regex pattern, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            Match match = pattern.Match(Output);
            if (match.Success)
            {
                return match.Groups[1].Value;
            }

            if (clock.Elapsed > timeout || _process.HasExited)
            {
                throw new TimeoutException("the daemon did not print " + pattern + " in " + timeout + ": " + Output);
            }

            await Task.Run(() =>
            {
                lock (_output)
                {
                    Monitor.Wait(_output, TimeSpan.FromMilliseconds(200)); // woken by the next line
                }
            });
        }
    }

    /// <summary>kill -9: no leave, no close frames, the sockets vanish.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>The process's resident memory now, from /proc/PID/status.</summary>
    public long RssBytes
    {
        get
        {
            foreach (string line in File.ReadLines("/proc/" + _process.Id.ToString(CultureInfo.InvariantCulture) + "/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
                }
            }

            throw new InvalidOperationException("no VmRSS for the daemon");
        }
    }

    /// <summary>Starts the daemon with <c>--set</c> for each of <paramref name="settings"/> and waits until it listens.</summary>
    public static Task<DaemonProcess> StartAsync(params string[] settings) =>
        StartWithArgumentsAsync(settings.SelectMany(setting => new[] { "--set", setting }));

    /// <summary>
    /// Starts the daemon with these command-line arguments (after Information logging and a free
    /// port unless they name one) and waits until it listens; <paramref name="launcher"/>,
    /// when given, is the command that runs it (such as <c>ip netns exec NAME</c>).
    /// </summary>
    public static async Task<DaemonProcess> StartWithArgumentsAsync(IEnumerable<string> arguments, IReadOnlyList<string>? launcher = null)
    {
        var daemon = new DaemonProcess(arguments, launcher);
        try
        {
            daemon.Url = await daemon._url.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch
        {
            await daemon.DisposeAsync();
            throw;
        }

        return daemon;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited && !await ExternalProcess.TerminateAsync(_process, TimeSpan.FromSeconds(20)))
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            _url.TrySetException(new InvalidOperationException("the daemon exited: " + Output));
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
            Monitor.PulseAll(_output);
        }

        Match listening = ListeningLine().Match(line);
        if (listening.Success)
        {
            _url.TrySetResult(listening.Groups[1].Value);
        }
    }

    [GeneratedRegex(@"listening on (ws://\S+)")]
    private static partial Regex ListeningLine();
}
