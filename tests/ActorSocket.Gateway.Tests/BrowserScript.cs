using System.Diagnostics;
using System.Threading.Channels;

namespace ActorSocket.Gateway.Tests;

/// <summary>
/// A Node script of <c>tests/browser</c> driving headless Chromium, talked to line by line: the test
/// reads what it prints and writes what it waits for. The end of its output ends the reading, so a
/// failing script fails the test at once, with its stderr. Killed on dispose if still running.
/// </summary>
public sealed class BrowserScript : IDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly System.Text.StringBuilder _errors = new();
    private readonly CancellationTokenSource _deadline;

    private BrowserScript(Process process, TimeSpan deadline)
    {
        _process = process;
        _deadline = new CancellationTokenSource(deadline);
    }

    /// <summary>Starts <paramref name="script"/> with <paramref name="arguments"/>; the whole conversation must end within <paramref name="deadline"/>.</summary>
    public static BrowserScript Start(string script, IEnumerable<string> arguments, TimeSpan deadline)
    {
        var start = new ProcessStartInfo("node") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(RepositoryFiles.Find(Path.Combine("tests", "browser")), script));
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var browser = new BrowserScript(Process.Start(start)!, deadline);
        browser._process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                browser._lines.Writer.TryWrite(e.Data);
            }
            else
            {
                browser._lines.Writer.TryComplete();
            }
        };
        browser._process.ErrorDataReceived += (_, e) =>
        {
            lock (browser._errors)
            {
                browser._errors.AppendLine(e.Data);
            }
        };
        browser._process.BeginOutputReadLine();
        browser._process.BeginErrorReadLine();
        return browser;
    }

    /// <summary>The next line the script prints; fails the test, with the script's stderr, when it ended instead.</summary>
    public async Task<string> ReadLineAsync()
    {
        Assert.True(await _lines.Reader.WaitToReadAsync(_deadline.Token), "the browser script ended: " + Errors);
        return await _lines.Reader.ReadAsync(_deadline.Token);
    }

    /// <summary>Asserts that the script's next line is <paramref name="expected"/>.</summary>
    public async Task ExpectLineAsync(string expected)
    {
        string line = await ReadLineAsync();
        Assert.True(line == expected, "expected \"" + expected + "\", the script printed \"" + line + "\": " + Errors);
    }

    /// <summary>Writes a line to the script's input.</summary>
    public async Task WriteLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
        _deadline.Dispose();
    }

    private string Errors
    {
        get
        {
            lock (_errors)
            {
                return _errors.ToString();
            }
        }
    }
}
