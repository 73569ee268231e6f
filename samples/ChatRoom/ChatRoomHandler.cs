using System.Text.Json;
using ActorSocket.Actors.Handlers;
using ActorSocket.Actors.Topics;
using Akka.Actor;
using Microsoft.Extensions.Logging;

namespace ChatRoom;

/// <summary>
/// A chat handler with nicknames and rooms, built on the server's topics. The nickname comes from the
/// query (<c>/chat?nick=ann</c>); <c>/join ROOM</c> changes room; anything else is said in the room.
/// Everyone in the room, the speaker included, receives
/// <c>{"op":"message","topic":"chat:ROOM","data":{"nick":"ann","text":"hi"}}</c>.
/// </summary>
/// <remarks>
/// Created per connection through dependency injection: the constructor asks for its
/// <see cref="ConnectionInfo"/> and for a service of the host (here the logger factory).
/// </remarks>
public sealed class ChatRoomHandler : UntypedActor
{
    private readonly string _nick;
    private readonly ILogger _logger;
    private IActorRef _connection = ActorRefs.Nobody;
    private IActorRef _topics = ActorRefs.Nobody;
    private string? _room;

    /// <summary>Created by the server for each connection on the route.</summary>
    public ChatRoomHandler(ConnectionInfo info, ILoggerFactory loggerFactory)
    {
        _nick = info.Request.Query.GetValueOrDefault("nick") is { Length: > 0 and <= 32 } nick ? nick : "guest-" + info.Id;
        _logger = loggerFactory.CreateLogger<ChatRoomHandler>();
    }

    private sealed record Joined(string Room);

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Handler.Connected connected:
                _connection = connected.Connection;
                _topics = connected.Topics ?? ActorRefs.Nobody;
                Say(new { system = $"hello {_nick}: /join ROOM to enter a room" });
                break;
            case Handler.TextMessage text when text.Text.StartsWith("/join ", StringComparison.Ordinal):
                Join(text.Text["/join ".Length..].Trim());
                break;
            case Handler.TextMessage text when _room is null:
                Say(new { system = "join a room first: /join ROOM" });
                break;
            case Handler.TextMessage text:
                byte[] data = JsonSerializer.SerializeToUtf8Bytes(new { nick = _nick, text = text.Text });
                _topics.Tell(new Topic.Publish(TopicMessage.Create("chat:" + _room, data)));
                break;
            case Joined joined:
                Say(new { system = "joined " + joined.Room });
                break;
            case Handler.BinaryMessage:
                _connection.Tell(new Connection.Close(ActorSocket.Protocol.CloseCode.UnsupportedData, "text only"));
                break;
            case Handler.Disconnected disconnected:
                _logger.LogDebug("{Nick} left with {CloseCode}", _nick, (int)disconnected.Code);
                Context.Stop(Self);
                break;
        }
    }

    private void Join(string room)
    {
        if (room.Length is 0 or > 64)
        {
            Say(new { system = "a room name is 1 to 64 characters" });
            return;
        }

        if (_room is not null)
        {
            _topics.Tell(new Topic.Unsubscribe("chat:" + _room, _connection));
        }

        _room = room;
        // The connection itself subscribes: room messages go from the topic straight to the client.
        _topics.Tell(new Topic.Subscribe("chat:" + room, _connection, new Joined(room), Format: TopicFrameFormat.PubSub));
    }

    private void Say(object value) => _connection.Tell(new Connection.SendText(JsonSerializer.SerializeToUtf8Bytes(value)));
}
