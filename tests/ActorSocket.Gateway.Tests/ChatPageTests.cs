namespace ActorSocket.Gateway.Tests;

public class ChatPageTests
{
    private static string BrowserDirectory => RepositoryFiles.Find(Path.Combine("tests", "browser"));

    [Fact]
    public async Task The_chat_page_is_served_self_contained()
    {
        await using TestServer server = await TestServer.StartAsync();
        string response = await RawClient.HttpAsync(server.Port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", response);
        Assert.Contains("Content-Type: text/html; charset=utf-8", response);
        Assert.Contains("/pubsub", response);
        Assert.DoesNotContain("<script src=", response); // nothing from a CDN
    }

    [Fact]
    public async Task A_message_typed_in_one_browser_page_appears_in_the_other()
    {
        Assert.True(File.Exists("/usr/bin/chromium"), "test.sh installs Debian's chromium");
        Assert.True(Directory.Exists(Path.Combine(BrowserDirectory, "node_modules", "playwright-core")), "test.sh installs playwright-core");
        await using TestServer server = await TestServer.StartAsync();
        string screenshot = Path.Combine(Path.GetTempPath(), "actorsocket-chat-" + server.Port + ".png");
        var (exitCode, output) = await ExternalProcess.RunAsync(
            "node", [Path.Combine(BrowserDirectory, "chat.js"), $"http://127.0.0.1:{server.Port}/", screenshot], TimeSpan.FromSeconds(90));
        Assert.True(exitCode == 0, output);
        Assert.Equal("ok", output.Trim().Split('\n')[^1]);
        Assert.True(new FileInfo(screenshot).Length > 1000, "the screenshot shows the page");
        // Kept for people to look at: the last run's screenshot.
        File.Copy(screenshot, Path.Combine(Path.GetTempPath(), "actorsocket-chat.png"), overwrite: true);
        File.Delete(screenshot);
    }

    [Fact]
    public async Task The_chat_page_reconnects_when_the_server_comes_back()
    {
        // A port that was free a moment ago; the second server binds it again (SO_REUSEADDR).
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }

        TestServer server = await TestServer.StartAsync(port: port);
        try
        {
            using var browser = BrowserScript.Start("reconnect.js", [$"http://127.0.0.1:{port}/"], TimeSpan.FromSeconds(100));
            await browser.ExpectLineAsync("online");
            await server.DisposeAsync();
            server = await TestServer.StartAsync(port: port);
            await browser.WriteLineAsync("restarted");
            await browser.ExpectLineAsync("ok");
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_page_whose_connection_dropped_shows_what_it_missed_once_and_in_order_and_a_new_page_the_history()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using var proxy = new DroppingProxy(server.Port);
        using var publisher = new System.Net.WebSockets.ClientWebSocket();
        await publisher.ConnectAsync(server.Uri("/pubsub"), CancellationToken.None);
        async Task SayAsync(string text)
        {
            await PubSubTests.SendAsync(publisher, $$"""{"op":"publish","topic":"room:recover","data":{"nick":"zoe","text":"{{text}}"},"id":1}""");
            Assert.Equal("ack", (await PubSubTests.ReceiveAsync(publisher)).GetProperty("op").GetString());
        }

        await SayAsync("early-1");
        await SayAsync("early-2");
        using var browser = BrowserScript.Start("recover.js", [$"http://127.0.0.1:{proxy.Port}/", "early-1,early-2", "missed-1,missed-2,missed-3,live-1"], TimeSpan.FromSeconds(100));
        await browser.ExpectLineAsync("online");
        proxy.CutAndHold(); // the page's network goes away; the server sees its connection end without a close
        await SayAsync("missed-1");
        await SayAsync("missed-2");
        await SayAsync("missed-3");
        proxy.Release();
        await browser.WriteLineAsync("released");
        await SayAsync("live-1");
        await browser.ExpectLineAsync("ok");
    }
}
