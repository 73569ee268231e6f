namespace ActorSocket.Gateway.Tests;

/// <summary>
/// The independent conformance client (conformance/wsconform.py: its own framing, masking, UTF-8 and
/// deflate, Python standard library only) runs its Autobahn-style cases against /echo.
/// </summary>
public class ConformanceTests
{
    private static string Script
    {
        get
        {
            for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            {
                string candidate = Path.Combine(directory.FullName, "conformance", "wsconform.py");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }

            throw new FileNotFoundException("conformance/wsconform.py not found above " + AppContext.BaseDirectory);
        }
    }

    [Fact]
    public async Task Every_conformance_case_passes_against_echo()
    {
        await using TestServer server = await TestServer.StartAsync();
        var (exitCode, output) = await ExternalProcess.RunAsync("/usr/bin/python3", [Script, server.Uri("/echo").ToString()], TimeSpan.FromMinutes(3));
        string summary = output.Trim().Split('\n')[^1];
        Assert.True(exitCode == 0, output);
        Assert.Matches(@"^1\d\d passed, 0 failed$", summary);
    }
}
