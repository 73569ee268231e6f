using System.Net.WebSockets;
using System.Text.Json;
using Akka.Actor;
using Akka.Configuration;

namespace ActorSocket.Gateway.Tests;

/// <summary>samples/ChatRoom, loaded from a plugin directory through HOCON as the daemon would.</summary>
public sealed class PluginTests : IDisposable
{
    private readonly string _plugins = Directory.CreateTempSubdirectory("actorsocket-plugins-").FullName;

    public PluginTests()
    {
        string configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        string built = RepositoryFiles.Find(Path.Combine("samples", "ChatRoom", "bin", configuration, "net10.0", "ChatRoom.dll"));
        File.Copy(built, Path.Combine(_plugins, "ChatRoom.dll"));
    }

    public void Dispose() => Directory.Delete(_plugins, recursive: true);

    private string Config => $$"""
        actorsocket {
          plugin-directories = ["{{_plugins}}"]
          routes."/chat" { handler = "ChatRoom.ChatRoomHandler, ChatRoom" }
        }
        """;

    private static async Task<JsonElement> NextAsync(WebSocket client)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var (_, data) = await EchoTests.ReceiveMessageAsync(client, timeout.Token);
        return JsonDocument.Parse(data).RootElement.Clone();
    }

    private static Task SayAsync(WebSocket client, string text) =>
        client.SendAsync(System.Text.Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    [Fact]
    public async Task A_plugin_handler_named_in_HOCON_runs_on_the_isolated_handler_dispatcher()
    {
        await using TestServer server = await TestServer.StartAsync(Config);
        using var ann = new ClientWebSocket();
        await ann.ConnectAsync(server.Uri("/chat?nick=ann"), CancellationToken.None);
        await NextAsync(ann); // the handler is running
        var identity = await server.System.ActorSelection("/user/connections/*/handler")
            .Ask<ActorIdentity>(new Identify(1), TimeSpan.FromSeconds(5));
        var handler = Assert.IsAssignableFrom<ActorRefWithCell>(identity.Subject);
        Assert.Equal("actorsocket.handler-dispatcher", handler.Underlying.Props.Dispatcher);
    }

    [Fact]
    public async Task The_ChatRoom_plugin_is_loaded_from_its_directory_with_injected_arguments_and_chats_over_topics()
    {
        await using TestServer server = await TestServer.StartAsync(Config);
        using var ann = new ClientWebSocket();
        using var bob = new ClientWebSocket();
        await ann.ConnectAsync(server.Uri("/chat?nick=ann"), CancellationToken.None);
        await bob.ConnectAsync(server.Uri("/chat?nick=bob"), CancellationToken.None);
        Assert.Contains("hello ann", (await NextAsync(ann)).GetProperty("system").GetString()); // ConnectionInfo injected
        Assert.Contains("hello bob", (await NextAsync(bob)).GetProperty("system").GetString());

        await SayAsync(ann, "/join lobby");
        await SayAsync(bob, "/join lobby");
        Assert.Equal("joined lobby", (await NextAsync(ann)).GetProperty("system").GetString());
        Assert.Equal("joined lobby", (await NextAsync(bob)).GetProperty("system").GetString());

        await SayAsync(ann, "hi bob");
        JsonElement heard = await NextAsync(bob);
        Assert.Equal("chat:lobby", heard.GetProperty("topic").GetString());
        Assert.Equal("ann", heard.GetProperty("data").GetProperty("nick").GetString());
        Assert.Equal("hi bob", heard.GetProperty("data").GetProperty("text").GetString());
        Assert.Equal("hi bob", (await NextAsync(ann)).GetProperty("data").GetProperty("text").GetString());
    }

    [Fact]
    public async Task A_handler_that_cannot_be_loaded_stops_startup_with_the_route_and_type_named()
    {
        var error = await Assert.ThrowsAsync<ConfigurationException>(() => TestServer.StartAsync(
            $$"""actorsocket { plugin-directories = ["{{_plugins}}"], routes."/x" { handler = "ChatRoom.NoSuchHandler, ChatRoom" } }"""));
        Assert.Contains("/x", error.Message);
        Assert.Contains("ChatRoom.NoSuchHandler", error.Message);

        error = await Assert.ThrowsAsync<ConfigurationException>(() => TestServer.StartAsync(
            """actorsocket.routes."/y" { handler = "Missing.Handler, Missing" }"""));
        Assert.Contains("/y", error.Message);
        Assert.Contains("plugin-directories", error.Message);
    }
}
