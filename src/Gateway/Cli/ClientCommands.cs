using System.CommandLine;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ActorSocket.Client;

namespace ActorSocket.Gateway.Cli;

/// <summary>
/// The daemon's subcommands for scripts and operators: <c>publish</c>, <c>subscribe</c>,
/// <c>presence</c>, <c>history</c>, against a running server. With an API key they use the server
/// API (HTTP); without one, a WebSocket on <c>/pubsub</c> through <see cref="ActorSocketClient"/>.
/// Answers are printed as JSON on standard output, one line each; errors on standard error, with
/// exit code 1.
/// </summary>
internal static class ClientCommands
{
    private static readonly Option<string> ServerOption = new("--server")
    {
        HelpName = "URL",
        Description = "the server (default $ACTORSOCKET_SERVER, else http://127.0.0.1:8080)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("ACTORSOCKET_SERVER") is { Length: > 0 } server ? server : "http://127.0.0.1:8080",
    };

    private static readonly Option<string?> ApiKeyOption = new("--api-key")
    {
        HelpName = "KEY",
        Description = "use the server API with this key (default $ACTORSOCKET_API_KEY); without one, a WebSocket",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("ACTORSOCKET_API_KEY") is { Length: > 0 } key ? key : null,
    };

    private static readonly Option<string?> TokenOption = new("--token")
    {
        HelpName = "JWT",
        Description = "a token for the WebSocket (default $ACTORSOCKET_TOKEN)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("ACTORSOCKET_TOKEN") is { Length: > 0 } token ? token : null,
    };

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>The subcommands, to add to the root command.</summary>
    public static IEnumerable<Command> All()
    {
        var topic = new Argument<string>("topic") { Description = "the topic, namespace:name" };
        var data = new Argument<string>("data") { Description = "the message: JSON, or any other text (sent as a JSON string)" };
        var publish = new Command("publish", "publish a message and print the answer (its position on a topic with history)") { topic, data, ServerOption, ApiKeyOption, TokenOption };
        publish.SetAction((result, cancellation) => RunAsync(result, cancellation, async (api, client) =>
        {
            JsonElement value = Json(result.GetValue(data)!);
            if (api is not null)
            {
                return await api.PostAsync("publish", json => { json.WriteString("topic", result.GetValue(topic)); json.WritePropertyName("data"); value.WriteTo(json); }, cancellation).ConfigureAwait(false);
            }

            await client!.PublishAsync(result.GetValue(topic)!, value, cancellation).ConfigureAwait(false);
            return JsonDocument.Parse("{}").RootElement;
        }));

        var count = new Option<int>("--count") { HelpName = "N", Description = "exit after N messages (default: run until interrupted)" };
        var subscribeTopic = new Argument<string>("topic") { Description = "the topic, or a pattern where the namespace has wildcards" };
        var subscribe = new Command("subscribe", "print the topic's messages as JSON lines ({\"topic\",\"offset\",\"data\"}); reconnects and recovers by itself") { subscribeTopic, count, ServerOption, TokenOption };
        subscribe.SetAction((result, cancellation) => SubscribeAsync(result, result.GetValue(subscribeTopic)!, result.GetValue(count), cancellation));

        var stats = new Option<bool>("--stats") { Description = "only the numbers of clients and users (presence-stats)" };
        var presenceTopic = new Argument<string>("topic") { Description = "the topic" };
        var presence = new Command("presence", "print who is present on a topic") { presenceTopic, stats, ServerOption, ApiKeyOption, TokenOption };
        presence.SetAction((result, cancellation) => RunAsync(result, cancellation, async (api, client) =>
        {
            bool onlyStats = result.GetValue(stats);
            string name = result.GetValue(presenceTopic)!;
            return api is not null
                ? await api.PostAsync(onlyStats ? "presence-stats" : "presence", json => json.WriteString("topic", name), cancellation).ConfigureAwait(false)
                : onlyStats ? await client!.PresenceStatsAsync(name, cancellation).ConfigureAwait(false) : await client!.PresenceAsync(name, cancellation).ConfigureAwait(false);
        }));

        var limit = new Option<int?>("--limit") { HelpName = "N", Description = "the newest N messages (default: all the server keeps, within its answer size)" };
        var historyTopic = new Argument<string>("topic") { Description = "the topic (of a namespace with history)" };
        var history = new Command("history", "print a topic's history") { historyTopic, limit, ServerOption, ApiKeyOption, TokenOption };
        history.SetAction((result, cancellation) => RunAsync(result, cancellation, async (api, client) =>
        {
            string name = result.GetValue(historyTopic)!;
            int? most = result.GetValue(limit);
            return api is not null
                ? await api.PostAsync("history", json => { json.WriteString("topic", name); if (most is { } n) { json.WriteNumber("limit", n); } }, cancellation).ConfigureAwait(false)
                : await client!.HistoryAsync(name, most, null, cancellation).ConfigureAwait(false);
        }));

        return [publish, subscribe, presence, history];
    }

    /// <summary>Runs a one-answer command through the API (with a key) or a WebSocket, and prints the answer.</summary>
    private static async Task<int> RunAsync(ParseResult result, CancellationToken cancellation, Func<ApiCaller?, ActorSocketClient?, Task<JsonElement>> work)
    {
        Uri server;
        try
        {
            server = ServerUri(result.GetValue(ServerOption)!);
        }
        catch (UriFormatException error)
        {
            return Fail("bad_request", "--server: " + error.Message);
        }

        try
        {
            if (result.GetValue(ApiKeyOption) is { } key)
            {
                Print(await work(new ApiCaller(server, key), null).ConfigureAwait(false));
                return 0;
            }

            await using ActorSocketClient client = Connect(server, result.GetValue(TokenOption), once: true);
            await client.ConnectAsync(cancellation).ConfigureAwait(false);
            Print(await work(null, client).ConfigureAwait(false));
            return 0;
        }
        catch (ActorSocketException error)
        {
            return Fail(error.Code, error.Message);
        }
        catch (HttpRequestException error)
        {
            return Fail("unavailable", error.Message);
        }
    }

    private static async Task<int> SubscribeAsync(ParseResult result, string topic, int count, CancellationToken cancellation)
    {
        try
        {
            await using ActorSocketClient client = Connect(ServerUri(result.GetValue(ServerOption)!), result.GetValue(TokenOption), once: false);
            await client.ConnectAsync(cancellation).ConfigureAwait(false);
            Subscription subscription = await client.SubscribeAsync(topic, cancellation).ConfigureAwait(false);
            subscription.Resubscribed += (_, recovered) =>
            {
                if (recovered == false)
                {
                    Console.Error.WriteLine("actorsocket: reconnected; messages of " + topic + " were missed (the server no longer holds them)");
                }
            };
            Console.Error.WriteLine("actorsocket: subscribed to " + topic + (subscription.Position is { } at ? " at " + at.Epoch + ":" + at.Offset : string.Empty));
            int printed = 0;
            await foreach (ClientMessage message in subscription.WithCancellation(cancellation).ConfigureAwait(false))
            {
                var line = new System.Buffers.ArrayBufferWriter<byte>(256);
                using (var json = new Utf8JsonWriter(line))
                {
                    json.WriteStartObject();
                    json.WriteString("topic", message.Topic);
                    if (message.Offset is { } offset)
                    {
                        json.WriteNumber("offset", offset);
                    }

                    json.WritePropertyName("data");
                    message.Data.WriteTo(json);
                    json.WriteEndObject();
                }

                Console.Out.WriteLine(Encoding.UTF8.GetString(line.WrittenSpan));
                await Console.Out.FlushAsync(cancellation).ConfigureAwait(false);
                if (count > 0 && ++printed >= count)
                {
                    break;
                }
            }

            return 0;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            return 0; // interrupted: the usual way to stop
        }
        catch (ActorSocketException error)
        {
            return Fail(error.Code, error.Message);
        }
        catch (UriFormatException error)
        {
            return Fail("bad_request", "--server: " + error.Message);
        }
    }

    private static ActorSocketClient Connect(Uri server, string? token, bool once)
    {
        var builder = new UriBuilder(server) { Scheme = server.Scheme == Uri.UriSchemeHttps ? "wss" : "ws", Path = "/pubsub" };
        var options = new ActorSocketClientOptions { Token = token, MaxReconnectAttempts = once ? 1 : 0 };
        options.Urls.Add(builder.Uri);
        return new ActorSocketClient(options);
    }

    private static Uri ServerUri(string text)
    {
        var uri = new Uri(text.Contains("://", StringComparison.Ordinal) ? text : "http://" + text);
        return uri.Scheme is "http" or "https" or "ws" or "wss" ? uri : throw new UriFormatException("use http://HOST:PORT");
    }

    /// <summary>Text as JSON when it is JSON, else as a JSON string.</summary>
    private static JsonElement Json(string text)
    {
        try
        {
            return JsonDocument.Parse(text).RootElement.Clone();
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToElement(text, CliJson.Default.String);
        }
    }

    /// <summary>Prints an answer as the API has it: a WebSocket answer without its <c>op</c> and <c>id</c>.</summary>
    private static void Print(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty("op", out _))
        {
            Console.Out.WriteLine(value.GetRawText());
            return;
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            foreach (JsonProperty property in value.EnumerateObject())
            {
                if (property.Name is not ("op" or "id"))
                {
                    property.WriteTo(json);
                }
            }

            json.WriteEndObject();
        }

        Console.Out.WriteLine(Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    private static int Fail(string code, string message)
    {
        Console.Error.WriteLine("actorsocket: " + code + ": " + message);
        return 1;
    }

    /// <summary>One server API call: the result on 200, an <see cref="ActorSocketException"/> with the error's code otherwise.</summary>
    private sealed class ApiCaller(Uri server, string key)
    {
        public async Task<JsonElement> PostAsync(string endpoint, Action<Utf8JsonWriter> body, CancellationToken cancellation)
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                body(json);
                json.WriteEndObject();
            }

            var builder = new UriBuilder(server) { Scheme = server.Scheme is "wss" or "https" ? "https" : "http", Path = "/api/" + endpoint };
            using var request = new HttpRequestMessage(HttpMethod.Post, builder.Uri) { Content = new ByteArrayContent(buffer.WrittenSpan.ToArray()) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Authorization = new AuthenticationHeaderValue("apikey", key);
            using HttpResponseMessage response = await Http.SendAsync(request, cancellation).ConfigureAwait(false);
            string text = await response.Content.ReadAsStringAsync(cancellation).ConfigureAwait(false);
            JsonElement answer;
            try
            {
                answer = JsonDocument.Parse(text).RootElement.Clone();
            }
            catch (JsonException)
            {
                throw new ActorSocketException(((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture), text.Trim());
            }

            if (answer.TryGetProperty("result", out JsonElement result))
            {
                return result;
            }

            JsonElement error = answer.GetProperty("error");
            throw new ActorSocketException(error.GetProperty("code").GetString() ?? "error", error.GetProperty("message").GetString() ?? string.Empty);
        }
    }
}

/// <summary>The JSON the CLI serializes itself (source-generated).</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class CliJson : System.Text.Json.Serialization.JsonSerializerContext;
