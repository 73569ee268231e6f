using System.Text.Json;
using System.Threading.Channels;

namespace ActorSocket.Client;

/// <summary>
/// A topic subscribed by an <see cref="ActorSocketClient"/>: its messages in order (enumerate it
/// once), kept across reconnects. On a topic with history the client resubscribes from the last
/// message received, so the enumeration continues without gap or duplicate; when the server no
/// longer holds what was missed, <see cref="Resubscribed"/> says so (<c>recovered: false</c>) and
/// the messages continue from the live stream.
/// </summary>
/// <remarks>Thread-safe. Its buffer is bounded (<see cref="ActorSocketClientOptions.SubscriptionBuffer"/>): a consumer that falls behind slows the connection's reading, never grows memory.</remarks>
public sealed class Subscription : IAsyncEnumerable<ClientMessage>
{
    private readonly ActorSocketClient _client;
    private readonly Channel<ClientMessage> _messages;
    private readonly Lock _lock = new();
    private StreamPosition? _position;
    private int _enumerated;

    internal Subscription(ActorSocketClient client, string topic, int buffer)
    {
        _client = client;
        Topic = topic;
        _messages = Channel.CreateBounded<ClientMessage>(new BoundedChannelOptions(buffer) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true, SingleWriter = true });
    }

    /// <summary>A resubscribe after a reconnect completed: true when every missed message follows (topics with history), false when some were lost (reload what you show from elsewhere, or from <see cref="ActorSocketClient.HistoryAsync"/>), null on a topic without history (nothing can be recovered there).</summary>
    public event Action<Subscription, bool?>? Resubscribed;

    /// <summary>A presence event of the topic (<c>join</c>, <c>leave</c>, <c>presence-diff</c>), as the server sent it.</summary>
    public event Action<Subscription, JsonElement>? PresenceChanged;

    /// <summary>The topic (or pattern).</summary>
    public string Topic { get; }

    /// <summary>On a topic with history: the position of the last message received (where a resubscribe starts); null otherwise.</summary>
    public StreamPosition? Position
    {
        get
        {
            lock (_lock)
            {
                return _position;
            }
        }
    }

    /// <summary>Resubscribes after which messages were lost (<see cref="Resubscribed"/> with false).</summary>
    public int Gaps { get; private set; }

    /// <summary>Whether it ended: unsubscribed, unsubscribed by the server, or the client closed.</summary>
    public bool Completed => _messages.Reader.Completion.IsCompleted;

    /// <summary>Unsubscribes; the enumeration ends.</summary>
    public Task UnsubscribeAsync(CancellationToken cancellation = default) => _client.UnsubscribeAsync(this, cancellation);

    /// <inheritdoc />
    /// <remarks>One enumeration per subscription: messages are handed out once.</remarks>
    public async IAsyncEnumerator<ClientMessage> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _enumerated, 1) != 0)
        {
            throw new InvalidOperationException("A subscription is enumerated once; subscribe again for a second reader.");
        }

        while (await _messages.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (_messages.Reader.TryRead(out ClientMessage? message))
            {
                yield return message;
            }
        }
    }

    /// <summary>The acknowledgement of a (re)subscribe: the stream's position, if it has one.</summary>
    internal void Acknowledged(JsonElement ack, bool resubscribe)
    {
        bool? recovered = null;
        if (ack.TryGetProperty("epoch", out JsonElement epoch) && ack.TryGetProperty("offset", out JsonElement offset))
        {
            lock (_lock)
            {
                bool asked = _position is not null;
                recovered = ack.TryGetProperty("recovered", out JsonElement r) ? r.GetBoolean() : asked ? false : null;

                // Recovered: the missed messages follow from where we were. Not: from the stream's present.
                if (!asked || recovered != true)
                {
                    _position = new StreamPosition(epoch.GetString()!, offset.GetInt64());
                }
            }
        }

        if (resubscribe)
        {
            if (recovered == false)
            {
                Gaps++;
            }

            Resubscribed?.Invoke(this, recovered);
        }
    }

    /// <summary>A message of the topic, in order; a duplicate of one received (a replay across a reconnect) is dropped.</summary>
    internal ValueTask DeliverAsync(ClientMessage message, CancellationToken cancellation)
    {
        if (message.Offset is { } offset)
        {
            lock (_lock)
            {
                if (_position is { } at && message.Topic == Topic && offset <= at.Offset)
                {
                    return ValueTask.CompletedTask;
                }

                if (message.Topic == Topic)
                {
                    _position = new StreamPosition(_position?.Epoch ?? string.Empty, offset);
                }
            }
        }

        return _messages.Writer.WriteAsync(message, cancellation);
    }

    internal void Presence(JsonElement frame) => PresenceChanged?.Invoke(this, frame);

    internal void Complete(Exception? error = null) => _messages.Writer.TryComplete(error);
}
