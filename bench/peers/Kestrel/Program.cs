// /echo and the /pubsub subset of docs/protocol.md, written as a competent ASP.NET Core user would:
// a dictionary of topics, a send loop per connection fed by a channel.
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

int port = args.Length > 1 && args[0] == "--port" ? int.Parse(args[1]) : 8081;
var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenLocalhost(port));
var app = builder.Build();
app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(20) });
var topics = new ConcurrentDictionary<string, ConcurrentDictionary<Subscriber, byte>>();

app.Map("/echo", async context =>
{
    if (!context.WebSockets.IsWebSocketRequest)
    {
        context.Response.StatusCode = 426;
        return;
    }

    using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
    var buffer = new byte[64 * 1024];
    while (true)
    {
        var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
        if (result.MessageType == WebSocketMessageType.Close)
        {
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
            return;
        }

        await socket.SendAsync(buffer.AsMemory(0, result.Count), result.MessageType, result.EndOfMessage, CancellationToken.None);
    }
});

app.Map("/pubsub", async context =>
{
    if (!context.WebSockets.IsWebSocketRequest)
    {
        context.Response.StatusCode = 426;
        return;
    }

    using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
    var subscriber = new Subscriber(socket);
    Task sending = subscriber.SendLoopAsync();
    var mine = new HashSet<string>();
    var message = new MemoryStream();
    var buffer = new byte[16 * 1024];
    try
    {
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                break;
            }

            message.Write(buffer, 0, result.Count);
            if (!result.EndOfMessage)
            {
                continue;
            }

            Handle(message.ToArray(), subscriber, mine);
            message.SetLength(0);
        }
    }
    catch (WebSocketException)
    {
    }
    finally
    {
        foreach (string topic in mine)
        {
            if (topics.TryGetValue(topic, out var set))
            {
                set.TryRemove(subscriber, out _);
            }
        }

        subscriber.Complete();
        await sending;
    }
});

void Handle(byte[] json, Subscriber from, HashSet<string> mine)
{
    using var document = JsonDocument.Parse(json);
    JsonElement root = document.RootElement;
    string op = root.GetProperty("op").GetString()!;
    string topic = root.GetProperty("topic").GetString()!;
    string? id = root.TryGetProperty("id", out JsonElement idElement) ? idElement.GetRawText() : null;
    switch (op)
    {
        case "subscribe":
            topics.GetOrAdd(topic, _ => new ConcurrentDictionary<Subscriber, byte>())[from] = 0;
            mine.Add(topic);
            break;
        case "unsubscribe":
            if (topics.TryGetValue(topic, out var set))
            {
                set.TryRemove(from, out _);
            }

            mine.Remove(topic);
            break;
        case "publish":
            byte[] frame = Encoding.UTF8.GetBytes("{\"op\":\"message\",\"topic\":" + JsonSerializer.Serialize(topic) + ",\"data\":" + root.GetProperty("data").GetRawText() + "}");
            if (topics.TryGetValue(topic, out var subscribers))
            {
                foreach (Subscriber subscriber in subscribers.Keys)
                {
                    subscriber.Send(frame);
                }
            }

            break;
    }

    if (id is not null)
    {
        from.Send(Encoding.UTF8.GetBytes("{\"op\":\"ack\",\"id\":" + id + "}"));
    }
}

app.Run();

internal sealed class Subscriber(WebSocket socket)
{
    private readonly Channel<byte[]> _outbox = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });

    public void Send(byte[] frame) => _outbox.Writer.TryWrite(frame);

    public void Complete() => _outbox.Writer.TryComplete();

    public async Task SendLoopAsync()
    {
        try
        {
            await foreach (byte[] frame in _outbox.Reader.ReadAllAsync())
            {
                await socket.SendAsync(frame, WebSocketMessageType.Text, true, CancellationToken.None);
            }
        }
        catch (WebSocketException)
        {
        }
    }
}
