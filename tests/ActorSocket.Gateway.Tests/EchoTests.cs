using System.Net.WebSockets;
using System.Text;

namespace ActorSocket.Gateway.Tests;

public class EchoTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    internal static async Task<(WebSocketMessageType Type, byte[] Data)> ReceiveMessageAsync(WebSocket socket, CancellationToken cancellation = default)
    {
        using var message = new MemoryStream();
        byte[] buffer = new byte[64 * 1024];
        while (true)
        {
            WebSocketReceiveResult result = await socket.ReceiveAsync(buffer, cancellation);
            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return (result.MessageType, message.ToArray());
            }
        }
    }

    private async Task<ClientWebSocket> ConnectAsync()
    {
        var client = new ClientWebSocket();
        await client.ConnectAsync(_server.Uri("/echo"), CancellationToken.None);
        return client;
    }

    [Theory]
    [InlineData(WebSocketMessageType.Text, 5)]
    [InlineData(WebSocketMessageType.Binary, 5)]
    [InlineData(WebSocketMessageType.Text, 0)]
    [InlineData(WebSocketMessageType.Binary, 0)]
    [InlineData(WebSocketMessageType.Binary, 70_000)]
    [InlineData(WebSocketMessageType.Binary, 1024 * 1024)]
    public async Task Echo_returns_every_message_unchanged_with_its_type(WebSocketMessageType type, int size)
    {
        using ClientWebSocket client = await ConnectAsync();
        byte[] data = type == WebSocketMessageType.Text
            ? Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("é", size / 2)))
            : Enumerable.Range(0, size).Select(i => (byte)(i * 7)).ToArray();
        await client.SendAsync(data, type, endOfMessage: true, CancellationToken.None);
        var (receivedType, received) = await ReceiveMessageAsync(client);
        Assert.Equal(type, receivedType);
        Assert.Equal(data, received);
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
    }

    [Fact]
    public async Task A_fragmented_message_comes_back_whole()
    {
        using ClientWebSocket client = await ConnectAsync();
        await client.SendAsync("Hel"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: false, CancellationToken.None);
        await client.SendAsync("lo, "u8.ToArray(), WebSocketMessageType.Text, endOfMessage: false, CancellationToken.None);
        await client.SendAsync("world"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        var (type, data) = await ReceiveMessageAsync(client);
        Assert.Equal(WebSocketMessageType.Text, type);
        Assert.Equal("Hello, world", Encoding.UTF8.GetString(data));
    }

    [Fact]
    public async Task Messages_come_back_in_order()
    {
        using ClientWebSocket client = await ConnectAsync();
        for (int i = 0; i < 200; i++)
        {
            await client.SendAsync(Encoding.UTF8.GetBytes("m" + i), WebSocketMessageType.Text, true, CancellationToken.None);
        }

        for (int i = 0; i < 200; i++)
        {
            var (_, data) = await ReceiveMessageAsync(client);
            Assert.Equal("m" + i, Encoding.UTF8.GetString(data));
        }
    }

    [Fact]
    public async Task Compression_is_negotiated_with_a_client_that_offers_it()
    {
        using var client = new ClientWebSocket();
        client.Options.DangerousDeflateOptions = new WebSocketDeflateOptions();
        client.Options.CollectHttpResponseDetails = true;
        await client.ConnectAsync(_server.Uri("/echo"), CancellationToken.None);
        Assert.StartsWith("permessage-deflate", client.HttpResponseHeaders!["Sec-WebSocket-Extensions"].Single());
        byte[] data = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("compress me please ", 5000)));
        for (int i = 0; i < 3; i++)
        {
            await client.SendAsync(data, WebSocketMessageType.Text, true, CancellationToken.None);
            var (_, received) = await ReceiveMessageAsync(client);
            Assert.Equal(data, received);
        }
    }

    [Fact]
    public async Task A_thousand_concurrent_connections_each_echo()
    {
        var clients = new ClientWebSocket[1000];
        try
        {
            // Connect in waves so the accept backlog is never the thing under test.
            for (int wave = 0; wave < clients.Length; wave += 100)
            {
                await Task.WhenAll(Enumerable.Range(wave, 100).Select(async i =>
                {
                    clients[i] = new ClientWebSocket();
                    await clients[i].ConnectAsync(_server.Uri("/echo"), CancellationToken.None);
                }));
            }

            await Task.WhenAll(clients.Select(async (client, i) =>
            {
                byte[] data = Encoding.UTF8.GetBytes("client " + i);
                await client.SendAsync(data, WebSocketMessageType.Text, true, CancellationToken.None);
                var (_, received) = await ReceiveMessageAsync(client);
                Assert.Equal(data, received);
            }));
        }
        finally
        {
            foreach (ClientWebSocket client in clients)
            {
                client?.Abort();
                client?.Dispose();
            }
        }
    }

    [Theory]
    [InlineData("::1", "[::1]")]
    [InlineData("::", "[::1]")]
    [InlineData("::", "127.0.0.1")]
    public async Task The_server_listens_on_IPv6_and_dual_stack(string listen, string connectTo)
    {
        await using TestServer server = await TestServer.StartAsync(listen: listen);
        using var client = new ClientWebSocket();
        await client.ConnectAsync(new Uri($"ws://{connectTo}:{server.Port}/echo"), CancellationToken.None);
        await client.SendAsync("v6"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        var (_, data) = await ReceiveMessageAsync(client);
        Assert.Equal("v6"u8.ToArray(), data);
    }
}
