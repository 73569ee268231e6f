namespace ActorSocket.Gateway.Tests;

/// <summary>
/// The independent conformance client (conformance/wsconform.py: its own framing, masking, UTF-8 and
/// deflate, Python standard library only) runs its Autobahn-style cases against /echo.
/// </summary>
public class ConformanceTests
{
    private static string Script => RepositoryFiles.Find(Path.Combine("conformance", "wsconform.py"));

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
