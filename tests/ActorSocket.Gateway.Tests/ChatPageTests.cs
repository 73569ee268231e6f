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
    public async Task A_page_signed_in_with_the_demo_issuer_shows_the_tokens_name_and_a_guest_page_sees_its_messages()
    {
        await using TestServer server = await TestServer.StartAsync("actorsocket.auth.demo-token-issuer = on");
        var (exitCode, output) = await ExternalProcess.RunAsync(
            "node", [Path.Combine(BrowserDirectory, "signin.js"), $"http://127.0.0.1:{server.Port}/"], TimeSpan.FromSeconds(90));
        Assert.True(exitCode == 0, output);
        Assert.Equal("ok", output.Trim().Split('\n')[^1]);
    }

    [Fact]
    public async Task The_demo_issuer_is_off_by_default_refuses_bad_names_and_its_tokens_identify_connections()
    {
        await using (TestServer plain = await TestServer.StartAsync())
        {
            Assert.StartsWith("HTTP/1.1 404 ", await RawClient.HttpAsync(plain.Port, "GET /demo/token?user=ann HTTP/1.1\r\nHost: x\r\n\r\n"));
        }

        await using TestServer server = await TestServer.StartAsync("actorsocket.auth.demo-token-issuer = on");
        foreach (string query in new[] { "", "?user=", "?user=" + new string('a', 33), "?user=a%20b", "?user=%3Cscript%3E" })
        {
            Assert.StartsWith("HTTP/1.1 400 ", await RawClient.HttpAsync(server.Port, "GET /demo/token" + query + " HTTP/1.1\r\nHost: x\r\n\r\n"));
        }

        string answer = await RawClient.HttpAsync(server.Port, "GET /demo/token?user=ann HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200 ", answer);
        var json = System.Text.Json.JsonDocument.Parse(answer[(answer.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]).RootElement;
        Assert.Equal(3600, json.GetProperty("expires_in").GetInt64());
        using var client = new System.Net.WebSockets.ClientWebSocket();
        await client.ConnectAsync(new Uri(server.Uri("/pubsub") + "?token=" + json.GetProperty("token").GetString()), CancellationToken.None);
        await PubSubTests.SendAsync(client, """{"op":"connect","id":0}""");
        System.Text.Json.JsonElement connected = await PubSubTests.ReceiveAsync(client);
        Assert.Equal(("connected", "ann"), (connected.GetProperty("op").GetString(), connected.GetProperty("user").GetString()));
        Assert.InRange(connected.GetProperty("expires_in").GetInt64(), 3590, 3600);

        // It hands any name to whoever asks: never on an address other machines reach.
        var error = Assert.Throws<Akka.Configuration.ConfigurationException>(() => ActorSocket.Gateway.Configuration.GatewayOptions.From(ActorSocket.Gateway.Configuration.GatewayConfig.Load(
            ActorSocket.Gateway.Configuration.CommandLineOptions.Parse(["--host", "0.0.0.0", "--set", "actorsocket.auth.demo-token-issuer = on"]))));
        Assert.Contains("loopback", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_javascript_client_backs_off_on_its_clock_and_answers_requests_in_node()
    {
        await using TestServer server = await TestServer.StartAsync();
        using var node = BrowserScript.Start("client.js", [server.Uri("/pubsub").ToString()], TimeSpan.FromSeconds(60));
        await node.ExpectLineAsync("ok");
    }

    [Fact]
    public async Task The_daemon_serves_the_javascript_client_as_a_module()
    {
        await using TestServer server = await TestServer.StartAsync();
        string response = await RawClient.HttpAsync(server.Port, "GET /client/actorsocket.js HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200 ", response);
        Assert.Contains("Content-Type: text/javascript; charset=utf-8", response, StringComparison.Ordinal);
        Assert.Contains("export class ActorSocketClient", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_chat_page_reconnects_when_the_server_comes_back()
    {
        // A port that was free a moment ago; the second server binds it again (SO_REUSEADDR).
        int port = TestPorts.Free();

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
