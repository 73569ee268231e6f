using System.Buffers.Binary;
using System.Text;
using ActorSocket.Actors.Topics;
using ActorSocket.Protocol.PubSub;
using Akka.Actor;
using Akka.Serialization;

namespace ActorSocket.Actors.Cluster;

/// <summary>
/// Compact binary form of <see cref="IClusterTopicMessage"/>s: a batch is its origin, its topic once
/// and each message's payload kind and bytes with a length prefix. No type names, no wire format, no
/// JSON escaping of the payload; the receiving node encodes each frame once per format for all its
/// subscribers.
/// </summary>
internal sealed class ClusterTopicSerializer : SerializerWithStringManifest
{
    // "M": a batch whose messages carry their payload kind (the earlier "B" had JSON only); nodes
    // of different versions do not mix silently: an unknown manifest is refused.
    private const string BatchManifest = "M";
    private const string RequestManifest = "Q";
    private const string EchoManifest = "E";
    private const string JoinManifest = "J";
    private const string JoinedManifest = "K";
    private const string LeaveManifest = "L";
    private const string PublishManifest = "P";
    private const string AppendedManifest = "A";
    private const string StreamManifest = "S";
    private const string HistoryManifest = "H";
    private const string RefusedManifest = "R";
    private const string PatternBatchManifest = "W";
    private const string PatternCheckManifest = "C";
    private const string PatternHeldManifest = "G";
    private const string UserTakeManifest = "UT";
    private const string PresenceSyncManifest = "PS";
    private const string PresenceSnapshotManifest = "PN";
    private const string PresenceDeltaManifest = "PD";
    private const string UserVerdictManifest = "UV";
    private const string UserCommandManifest = "AU";
    private const string UserActedManifest = "AA";
    private const string ChannelsQueryManifest = "AC";
    private const string ChannelsAnswerManifest = "AL";
    private const string InfoQueryManifest = "AI";
    private const string InfoAnswerManifest = "AN";

    // What durable topics keep in their store: read back after restarts and upgrades, so these
    // formats only ever gain new manifests, never change under an old one.
    private const string AppendedEventManifest = "D1A";
    private const string SnapshotManifest = "D1N";

    /// <summary>Created by Akka from <c>akka.actor.serializers</c>.</summary>
    public ClusterTopicSerializer(ExtendedActorSystem system)
        : base(system)
    {
    }

    /// <summary>Our serializer id: 4711, far from Akka's reserved 0-100.</summary>
    public override int Identifier => 4711;

    /// <inheritdoc />
    public override string Manifest(object o) => o switch
    {
        TopicBatch => BatchManifest,
        ConfirmRequest => RequestManifest,
        ConfirmEcho => EchoManifest,
        OwnerJoin => JoinManifest,
        OwnerJoined => JoinedManifest,
        OwnerLeave => LeaveManifest,
        OwnerPublish => PublishManifest,
        OwnerAppended => AppendedManifest,
        OwnerMessages => StreamManifest,
        OwnerHistory => HistoryManifest,
        OwnerRefused => RefusedManifest,
        PatternBatch => PatternBatchManifest,
        PatternCheck => PatternCheckManifest,
        PatternHeld => PatternHeldManifest,
        Identity.UserTake => UserTakeManifest,
        PresenceSync => PresenceSyncManifest,
        PresenceSnapshot => PresenceSnapshotManifest,
        PresenceDelta => PresenceDeltaManifest,
        Identity.UserVerdict => UserVerdictManifest,
        Api.UserCommand => UserCommandManifest,
        Api.UserActed => UserActedManifest,
        Api.ChannelsQuery => ChannelsQueryManifest,
        Api.ChannelsAnswer => ChannelsAnswerManifest,
        Api.InfoQuery => InfoQueryManifest,
        Api.InfoAnswer => InfoAnswerManifest,
        StreamAppended => AppendedEventManifest,
        StreamSnapshot => SnapshotManifest,
        _ => throw new ArgumentException("Cannot serialize " + o.GetType() + ".", nameof(o)),
    };

    /// <inheritdoc />
    public override byte[] ToBinary(object obj)
    {
        switch (obj)
        {
            case TopicBatch batch:
                {
                    int size = 8 + StringSize(batch.Topic) + VarIntSize((uint)batch.Messages.Count);
                    foreach (TopicMessage message in batch.Messages)
                    {
                        size += 1 + VarIntSize((uint)message.Data.Length) + message.Data.Length;
                    }

                    var bytes = new byte[size];
                    var writer = new Writer(bytes);
                    writer.Long(batch.Origin);
                    writer.String(batch.Topic);
                    writer.VarInt((uint)batch.Messages.Count);
                    foreach (TopicMessage message in batch.Messages)
                    {
                        writer.Byte((byte)message.Kind);
                        writer.Bytes(message.Data.Span);
                    }

                    return bytes;
                }

            case ConfirmRequest request:
                {
                    var bytes = new byte[StringSize(request.Topic) + 16];
                    var writer = new Writer(bytes);
                    writer.String(request.Topic);
                    writer.Long(request.Origin);
                    writer.Long(request.Nonce);
                    return bytes;
                }

            case ConfirmEcho echo:
                {
                    var bytes = new byte[16 + StringSize(echo.Responder)];
                    var writer = new Writer(bytes);
                    writer.Long(echo.Origin);
                    writer.Long(echo.Nonce);
                    writer.String(echo.Responder);
                    return bytes;
                }

            case Api.UserCommand or Api.UserActed or Api.ChannelsQuery or Api.ChannelsAnswer or Api.InfoQuery or Api.InfoAnswer:
                return ApiToBinary(obj);

            case IClusterTopicMessage owned:
                return OwnerToBinary(owned);

            case IStoredHistory stored:
                return StoredToBinary(stored);

            default:
                throw new ArgumentException("Cannot serialize " + obj.GetType() + ".", nameof(obj));
        }
    }

    // The messages between a topic's owner and its followers. Each message of a stream carries its
    // payload kind, its offset and its bytes; actor references travel as their serialized paths.
    /// <summary>Set in a message's kind byte when the publisher's origin tag follows its offset.</summary>
    private const byte OriginFlag = 0x80;

    private byte[] OwnerToBinary(IClusterTopicMessage message)
    {
        var writer = new GrowingWriter();
        switch (message)
        {
            case OwnerJoin join:
                writer.String(join.Topic);
                writer.String(Akka.Serialization.Serialization.SerializedActorPath(join.Follower));
                writer.Position(join.Since);
                writer.Long(join.Correlation);
                writer.Byte(join.Rejoin ? (byte)1 : (byte)0);
                break;
            case OwnerJoined joined:
                writer.String(joined.Topic);
                writer.Long(joined.Correlation);
                writer.Position(joined.Position);
                writer.Byte(joined.Recovered switch { null => 0, false => 1, true => 2 });
                writer.Messages(joined.Messages);
                break;
            case OwnerLeave leave:
                writer.String(leave.Topic);
                writer.String(Akka.Serialization.Serialization.SerializedActorPath(leave.Follower));
                break;
            case OwnerPublish publish:
                writer.String(publish.Topic);
                writer.Long(publish.Correlation);
                writer.Messages([publish.Message]);
                break;
            case OwnerAppended appended:
                writer.String(appended.Topic);
                writer.VarInt((uint)appended.Correlations.Count);
                foreach (long correlation in appended.Correlations)
                {
                    writer.Long(correlation);
                }

                // The positions come after what older nodes read, so a node of either version reads the other's.
                writer.String(appended.Epoch);
                writer.VarInt((uint)appended.Offsets.Count);
                foreach (long offset in appended.Offsets)
                {
                    writer.Long(offset);
                }

                break;
            case OwnerMessages stream:
                writer.String(stream.Topic);
                writer.String(stream.Epoch);
                writer.Messages(stream.Messages);
                break;
            case OwnerRefused refused:
                writer.String(refused.Topic);
                writer.Long(refused.Correlation);
                writer.Byte((byte)refused.Reason);
                break;
            case PatternBatch batch:
                // Offsets where the topic has history (from its owner), none where it has not.
                writer.String(batch.Topic);
                writer.Byte(batch.Messages.Count > 0 && batch.Messages[0].Offset > 0 ? (byte)1 : (byte)0);
                writer.Messages(batch.Messages);
                break;
            case PatternCheck check:
                writer.String(check.Pattern);
                writer.String(check.Node);
                writer.Long(check.Nonce);
                break;
            case PatternHeld held:
                writer.String(held.Pattern);
                writer.Long(held.Nonce);
                writer.String(held.Responder);
                break;
            case PresenceSync sync:
                writer.String(sync.Topic);
                writer.String(sync.Node);
                writer.Long(sync.Incarnation);
                break;
            case PresenceSnapshot snapshot:
                writer.String(snapshot.Topic);
                writer.String(snapshot.Node);
                writer.Long(snapshot.Incarnation);
                writer.Long(snapshot.Sequence);
                writer.VarInt((uint)snapshot.Entries.Count);
                foreach (PresenceEntry entry in snapshot.Entries)
                {
                    writer.Entry(entry);
                }

                break;
            case PresenceDelta delta:
                writer.String(delta.Topic);
                writer.String(delta.Node);
                writer.Long(delta.Incarnation);
                writer.Long(delta.Sequence);
                writer.VarInt((uint)delta.Changes.Count);
                foreach (ReplicatedChange change in delta.Changes)
                {
                    writer.Byte((byte)((change.Join ? 1 : 0) | (change.Silent ? 2 : 0)));
                    writer.Entry(change.Entry);
                }

                break;
            case Identity.UserTake take:
                writer.String(take.User);
                writer.Long(take.Correlation);
                writer.Long(BitConverter.DoubleToInt64Bits(take.PerSecond));
                writer.Long(BitConverter.DoubleToInt64Bits(take.Burst));
                break;
            case Identity.UserVerdict verdict:
                writer.Long(verdict.Correlation);
                writer.Long(verdict.RetryAfterMs);
                break;
            case OwnerHistory history:
                writer.String(history.Topic);
                writer.Long(history.Limit);
                writer.Position(history.Since);
                writer.Long(history.Correlation);
                break;
            default:
                throw new ArgumentException("Cannot serialize " + message.GetType() + ".", nameof(message));
        }

        return writer.ToArray();
    }

    // A durable stream's events and snapshots: each message with its kind, offset, publish time (Unix
    // milliseconds) and bytes.
    /// <summary>The server API's questions between nodes and their answers.</summary>
    private static byte[] ApiToBinary(object message)
    {
        var writer = new GrowingWriter();
        switch (message)
        {
            case Api.UserCommand command:
                writer.Byte((byte)command.Action);
                writer.String(command.User);
                writer.String(command.Topic);
                writer.String(command.Reason);
                break;
            case Api.UserActed acted:
                writer.String(acted.Node);
                writer.Long(acted.Connections);
                break;
            case Api.ChannelsQuery query:
                writer.Long(query.Max);
                break;
            case Api.ChannelsAnswer answer:
                writer.String(answer.Node);
                writer.Byte(answer.Truncated ? (byte)1 : (byte)0);
                writer.VarInt((uint)answer.Channels.Count);
                foreach (Api.ChannelCount channel in answer.Channels)
                {
                    writer.String(channel.Topic);
                    writer.Long(channel.Subscribers);
                }

                break;
            case Api.InfoQuery:
                break;
            case Api.InfoAnswer info:
                writer.String(info.Node);
                writer.Long(info.Connections);
                writer.Long(info.Topics);
                writer.Long(info.UptimeSeconds);
                writer.String(info.Version);
                break;
        }

        return writer.ToArray();
    }

    private static byte[] StoredToBinary(IStoredHistory stored)
    {
        var writer = new GrowingWriter();
        writer.String(stored.Topic);
        switch (stored)
        {
            case StreamAppended appended:
                writer.String(appended.Epoch);
                writer.Stored(appended.Messages);
                break;
            case StreamSnapshot snapshot:
                writer.String(snapshot.Epoch);
                writer.Long(snapshot.Offset);
                writer.Stored(snapshot.Messages);
                break;
            default:
                throw new ArgumentException("Cannot serialize " + stored.GetType() + ".", nameof(stored));
        }

        return writer.ToArray();
    }

    private object OwnerFromBinary(ref Reader reader, string manifest)
    {
        switch (manifest)
        {
            case AppendedEventManifest:
                {
                    string topic = reader.String();
                    string epoch = reader.String();
                    return new StreamAppended(topic, epoch, reader.Stored(topic));
                }

            case SnapshotManifest:
                {
                    string topic = reader.String();
                    string epoch = reader.String();
                    long offset = reader.Long();
                    return offset is >= 0 and <= PubSubCodec.MaxPosition
                        ? new StreamSnapshot(topic, epoch, offset, reader.Stored(topic))
                        : throw new System.Runtime.Serialization.SerializationException("A stored stream at offset " + offset + ".");
                }

            case JoinManifest:
                return new OwnerJoin(reader.String(), Resolve(reader.String()), reader.Position(), reader.Long(), reader.Flag());
            case JoinedManifest:
                {
                    string topic = reader.String();
                    long correlation = reader.Long();
                    PubSubPosition position = reader.Position() ?? throw new System.Runtime.Serialization.SerializationException("A join's answer without a position.");
                    bool? recovered = reader.Tristate();
                    return new OwnerJoined(topic, correlation, position, recovered, reader.Messages(topic));
                }

            case LeaveManifest:
                return new OwnerLeave(reader.String(), Resolve(reader.String()));
            case PublishManifest:
                {
                    string topic = reader.String();
                    long correlation = reader.Long();
                    IReadOnlyList<TopicMessage> messages = reader.Messages(topic, sequenced: false);
                    return messages.Count == 1 ? new OwnerPublish(topic, messages[0], correlation) : throw new System.Runtime.Serialization.SerializationException("A publish of " + messages.Count + " messages.");
                }

            case AppendedManifest:
                {
                    string topic = reader.String();
                    int count = reader.Count();
                    var correlations = new long[count];
                    for (int i = 0; i < count; i++)
                    {
                        correlations[i] = reader.Long();
                    }

                    if (!reader.HasMore)
                    {
                        return new OwnerAppended(topic, correlations, string.Empty, []);
                    }

                    string epoch = reader.String();
                    var offsets = new long[reader.Count()];
                    for (int i = 0; i < offsets.Length; i++)
                    {
                        offsets[i] = reader.Long();
                    }

                    return new OwnerAppended(topic, correlations, epoch, offsets);
                }

            case StreamManifest:
                {
                    string topic = reader.String();
                    return new OwnerMessages(topic, reader.String(), reader.Messages(topic));
                }

            case PatternBatchManifest:
                {
                    string topic = reader.String();
                    bool sequenced = reader.Flag();
                    return new PatternBatch(topic, reader.Messages(topic, sequenced));
                }

            case PatternCheckManifest:
                return new PatternCheck(reader.String(), reader.String(), reader.Long());
            case PatternHeldManifest:
                return new PatternHeld(reader.String(), reader.Long(), reader.String());
            case PresenceSyncManifest:
                return new PresenceSync(reader.String(), reader.String(), reader.Long());
            case PresenceSnapshotManifest:
                {
                    string topic = reader.String();
                    string node = reader.String();
                    long incarnation = reader.Long();
                    long sequence = reader.Long();
                    int count = reader.Count();
                    var entries = new PresenceEntry[count];
                    for (int i = 0; i < count; i++)
                    {
                        entries[i] = reader.Entry();
                    }

                    return new PresenceSnapshot(topic, node, incarnation, sequence, entries);
                }

            case PresenceDeltaManifest:
                {
                    string topic = reader.String();
                    string node = reader.String();
                    long incarnation = reader.Long();
                    long sequence = reader.Long();
                    int count = reader.Count();
                    var changes = new ReplicatedChange[count];
                    for (int i = 0; i < count; i++)
                    {
                        byte flags = reader.Byte();
                        changes[i] = new ReplicatedChange((flags & 1) != 0, reader.Entry(), (flags & 2) != 0);
                    }

                    return new PresenceDelta(topic, node, incarnation, sequence, changes);
                }

            case UserTakeManifest:
                return new Identity.UserTake(reader.String(), reader.Long(), BitConverter.Int64BitsToDouble(reader.Long()), BitConverter.Int64BitsToDouble(reader.Long()));
            case UserVerdictManifest:
                return new Identity.UserVerdict(reader.Long(), reader.Long());
            case UserCommandManifest:
                {
                    byte action = reader.Byte();
                    return action is >= (byte)Api.UserAction.Subscribe and <= (byte)Api.UserAction.Disconnect
                        ? new Api.UserCommand((Api.UserAction)action, reader.String(), reader.String(), reader.String())
                        : throw new System.Runtime.Serialization.SerializationException("A user command of kind " + action + ".");
                }

            case UserActedManifest:
                return new Api.UserActed(reader.String(), (int)Math.Clamp(reader.Long(), 0, int.MaxValue));
            case ChannelsQueryManifest:
                return new Api.ChannelsQuery((int)Math.Clamp(reader.Long(), 0, Api.ServerApi.MaxChannelsPerNode));
            case ChannelsAnswerManifest:
                {
                    string node = reader.String();
                    bool truncated = reader.Flag();
                    var channels = new Api.ChannelCount[reader.Count()];
                    for (int i = 0; i < channels.Length; i++)
                    {
                        channels[i] = new Api.ChannelCount(reader.String(), (int)Math.Clamp(reader.Long(), 0, int.MaxValue));
                    }

                    return new Api.ChannelsAnswer(node, channels, truncated);
                }

            case InfoQueryManifest:
                return Api.InfoQuery.Instance;
            case InfoAnswerManifest:
                return new Api.InfoAnswer(reader.String(), reader.Long(), reader.Long(), reader.Long(), reader.String());
            case RefusedManifest:
                return new OwnerRefused(reader.String(), reader.Long(), reader.Refusal());
            case HistoryManifest:
                {
                    string topic = reader.String();
                    long limit = reader.Long();
                    return new OwnerHistory(topic, (int)Math.Clamp(limit, -1, int.MaxValue), reader.Position(), reader.Long());
                }

            default:
                throw new System.Runtime.Serialization.SerializationException("Unknown manifest " + manifest + " for " + nameof(ClusterTopicSerializer) + ".");
        }
    }

    private IActorRef Resolve(string path)
    {
        try
        {
            return system.Provider.ResolveActorRef(path);
        }
        catch (Exception error) when (error is FormatException or ArgumentException or UriFormatException)
        {
            // A path that is not one (corrupt, or from a node that lies) is the message's fault, not ours.
            throw new System.Runtime.Serialization.SerializationException("A corrupt " + nameof(ClusterTopicSerializer) + " message: an actor path that does not parse.", error);
        }
    }

    /// <summary>A writer for messages whose size is not worth computing first.</summary>
    private sealed class GrowingWriter
    {
        private readonly System.Buffers.ArrayBufferWriter<byte> _buffer = new(256);

        public void Byte(byte value)
        {
            _buffer.GetSpan(1)[0] = value;
            _buffer.Advance(1);
        }

        public void Long(long value)
        {
            BinaryPrimitives.WriteInt64LittleEndian(_buffer.GetSpan(8), value);
            _buffer.Advance(8);
        }

        public void VarInt(uint value)
        {
            while (value >= 0x80)
            {
                Byte((byte)(value | 0x80));
                value >>= 7;
            }

            Byte((byte)value);
        }

        public void Bytes(ReadOnlySpan<byte> value)
        {
            VarInt((uint)value.Length);
            value.CopyTo(_buffer.GetSpan(value.Length));
            _buffer.Advance(value.Length);
        }

        public void String(string value) => Bytes(Encoding.UTF8.GetBytes(value));

        public void Position(PubSubPosition? position)
        {
            Byte(position is null ? (byte)0 : (byte)1);
            if (position is { } value)
            {
                String(value.Epoch);
                Long(value.Offset);
            }
        }

        public void Messages(IReadOnlyList<TopicMessage> messages)
        {
            VarInt((uint)messages.Count);
            foreach (TopicMessage message in messages)
            {
                // The origin (a publish with "echo": false) rides in the kind's high bit, then follows the offset.
                Byte((byte)((byte)message.Kind | (message.Origin != 0 ? OriginFlag : 0)));
                Long(message.Offset);
                if (message.Origin != 0)
                {
                    Long(message.Origin);
                }

                Bytes(message.Data.Span);
            }
        }

        public void Entry(PresenceEntry entry)
        {
            String(entry.Client);
            String(entry.User);
            Bytes(entry.Info.Span);
        }

        public void Stored(IReadOnlyList<StoredMessage> messages)
        {
            VarInt((uint)messages.Count);
            foreach (StoredMessage stored in messages)
            {
                Byte((byte)stored.Message.Kind);
                Long(stored.Message.Offset);
                Long(stored.Time.ToUnixTimeMilliseconds());
                Bytes(stored.Message.Data.Span);
            }
        }

        public byte[] ToArray() => _buffer.WrittenSpan.ToArray();
    }

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest)
    {
        var reader = new Reader(bytes);
        switch (manifest)
        {
            case BatchManifest:
                {
                    long origin = reader.Long();
                    string topic = reader.String();
                    int count = reader.Count();
                    byte[] encodedTopic = PubSubCodec.EncodeTopic(topic);
                    var messages = new TopicMessage[count];
                    for (int i = 0; i < count; i++)
                    {
                        TopicPayload kind = reader.Kind();
                        // JSON (what /pubsub publishes) is encoded for /pubsub subscribers at once, in one copy.
                        messages[i] = kind == TopicPayload.Json
                            ? TopicMessage.Create(topic, encodedTopic, reader.Bytes())
                            : new TopicMessage(topic, reader.Bytes().ToArray(), kind);
                    }

                    return new TopicBatch(origin, topic, messages);
                }

            case RequestManifest:
                return new ConfirmRequest(reader.String(), reader.Long(), reader.Long());
            case EchoManifest:
                return new ConfirmEcho(reader.Long(), reader.Long(), reader.String());
            default:
                return OwnerFromBinary(ref reader, manifest);
        }
    }

    private static int StringSize(string value)
    {
        int length = Encoding.UTF8.GetByteCount(value);
        return VarIntSize((uint)length) + length;
    }

    private static int VarIntSize(uint value)
    {
        int size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }

        return size;
    }

    private ref struct Writer(Span<byte> buffer)
    {
        private readonly Span<byte> _buffer = buffer;
        private int _position;

        public void Long(long value)
        {
            BinaryPrimitives.WriteInt64LittleEndian(_buffer[_position..], value);
            _position += 8;
        }

        public void VarInt(uint value)
        {
            while (value >= 0x80)
            {
                _buffer[_position++] = (byte)(value | 0x80);
                value >>= 7;
            }

            _buffer[_position++] = (byte)value;
        }

        public void Byte(byte value) => _buffer[_position++] = value;

        public void Bytes(ReadOnlySpan<byte> value)
        {
            VarInt((uint)value.Length);
            value.CopyTo(_buffer[_position..]);
            _position += value.Length;
        }

        public void String(string value)
        {
            int length = Encoding.UTF8.GetByteCount(value);
            VarInt((uint)length);
            _position += Encoding.UTF8.GetBytes(value, _buffer[_position..]);
        }
    }

    private ref struct Reader(ReadOnlySpan<byte> buffer)
    {
        private readonly ReadOnlySpan<byte> _buffer = buffer;
        private int _position;

        // Every count and length is checked against the bytes that are there before anything is
        // allocated or sliced: a corrupt or hostile message ends in a SerializationException, never
        // in an allocation sized by a number it claims.
        private readonly int Remaining => _buffer.Length - _position;

        /// <summary>Whether bytes are left: fields a newer node appends to a message an older one also sends.</summary>
        public readonly bool HasMore => Remaining > 0;

        public long Long()
        {
            Need(8);
            long value = BinaryPrimitives.ReadInt64LittleEndian(_buffer[_position..]);
            _position += 8;
            return value;
        }

        public uint VarInt()
        {
            uint value = 0;
            for (int shift = 0; shift < 35; shift += 7)
            {
                Need(1);
                byte b = _buffer[_position++];
                if (shift == 28 && b > 0x0F)
                {
                    throw Corrupt("a varint larger than 32 bits");
                }

                value |= (uint)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }

            throw Corrupt("a varint longer than five bytes");
        }

        /// <summary>A count of items that follow, each at least one byte long.</summary>
        public int Count()
        {
            uint count = VarInt();
            return count <= (uint)Remaining ? (int)count : throw Corrupt("a count of " + count + " with " + Remaining + " bytes left");
        }

        public TopicPayload Kind()
        {
            Need(1);
            byte kind = _buffer[_position++];
            return kind <= (byte)TopicPayload.Binary ? (TopicPayload)kind : throw Corrupt("payload kind " + kind);
        }

        /// <summary>A message's kind, and whether an origin follows its offset (<see cref="OriginFlag"/>).</summary>
        public TopicPayload Kind(out bool hasOrigin)
        {
            Need(1);
            byte kind = _buffer[_position++];
            hasOrigin = (kind & OriginFlag) != 0;
            kind &= unchecked((byte)~OriginFlag);
            return kind <= (byte)TopicPayload.Binary ? (TopicPayload)kind : throw Corrupt("payload kind " + kind);
        }

        public ReadOnlySpan<byte> Bytes()
        {
            uint length = VarInt();
            Need(length);
            ReadOnlySpan<byte> value = _buffer.Slice(_position, (int)length);
            _position += (int)length;
            return value;
        }

        private readonly void Need(uint bytes)
        {
            if (bytes > (uint)Remaining)
            {
                throw Corrupt(bytes + " bytes needed, " + Remaining + " left");
            }
        }

        private static System.Runtime.Serialization.SerializationException Corrupt(string what) =>
            new("A corrupt " + nameof(ClusterTopicSerializer) + " message: " + what + ".");

        public string String() => Encoding.UTF8.GetString(Bytes());

        public byte Byte()
        {
            Need(1);
            byte value = _buffer[_position++];
            return value <= 3 ? value : throw Corrupt("presence change flags of " + value);
        }

        public PresenceEntry Entry()
        {
            string client = String();
            string user = String();
            ReadOnlySpan<byte> info = Bytes();
            return new PresenceEntry(client, user, info.IsEmpty ? default : info.ToArray());
        }

        public bool Flag()
        {
            Need(1);
            byte value = _buffer[_position++];
            return value <= 1 ? value == 1 : throw Corrupt("a flag of " + value);
        }

        public OwnerRefusal Refusal()
        {
            Need(1);
            byte value = _buffer[_position++];
            return value <= (byte)OwnerRefusal.InDoubt ? (OwnerRefusal)value : throw Corrupt("a refusal reason of " + value);
        }

        public bool? Tristate()
        {
            Need(1);
            byte value = _buffer[_position++];
            return value switch { 0 => null, 1 => false, 2 => true, _ => throw Corrupt("a tristate of " + value) };
        }

        public PubSubPosition? Position()
        {
            if (!Flag())
            {
                return null;
            }

            string epoch = String();
            long offset = Long();
            return offset is >= 0 and <= PubSubCodec.MaxPosition ? new PubSubPosition(epoch, offset) : throw Corrupt("an offset of " + offset);
        }

        /// <summary>A durable stream's messages, each with its offset and publish time.</summary>
        public StoredMessage[] Stored(string topic)
        {
            int count = Count();
            byte[] encodedTopic = PubSubCodec.EncodeTopic(topic);
            var messages = new StoredMessage[count];
            for (int i = 0; i < count; i++)
            {
                TopicPayload kind = Kind();
                long offset = Long();
                long time = Long();
                if (offset is < 1 or > PubSubCodec.MaxPosition || time < 0 || time > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
                {
                    throw Corrupt("a stored message at offset " + offset + ", time " + time);
                }

                TopicMessage message = kind == TopicPayload.Json
                    ? TopicMessage.CreateSequenced(topic, encodedTopic, Bytes(), offset)
                    : TopicMessage.CreateSequenced(topic, Bytes().ToArray(), kind, offset);
                messages[i] = new StoredMessage(message, DateTimeOffset.FromUnixTimeMilliseconds(time));
            }

            return messages;
        }

        /// <summary>Messages of a stream, each decoded with its offset and, for JSON, its /pubsub frame encoded once.</summary>
        public IReadOnlyList<TopicMessage> Messages(string topic, bool sequenced = true)
        {
            int count = Count();
            byte[] encodedTopic = PubSubCodec.EncodeTopic(topic);
            var messages = new TopicMessage[count];
            for (int i = 0; i < count; i++)
            {
                TopicPayload kind = Kind(out bool hasOrigin);
                long offset = Long();
                long origin = hasOrigin ? Long() : 0;
                TopicMessage message;
                if (!sequenced)
                {
                    // A publish on its way to the owner: no offset yet.
                    message = offset == 0 && kind == TopicPayload.Json
                        ? TopicMessage.Create(topic, encodedTopic, Bytes())
                        : offset == 0 ? new TopicMessage(topic, Bytes().ToArray(), kind) : throw Corrupt("a publish with an offset");
                }
                else if (offset is < 1 or > PubSubCodec.MaxPosition)
                {
                    throw Corrupt("an offset of " + offset);
                }
                else
                {
                    message = kind == TopicPayload.Json
                        ? TopicMessage.CreateSequenced(topic, encodedTopic, Bytes(), offset)
                        : TopicMessage.CreateSequenced(topic, Bytes().ToArray(), kind, offset);
                }

                message.Origin = origin;
                messages[i] = message;
            }

            return messages;
        }
    }
}
