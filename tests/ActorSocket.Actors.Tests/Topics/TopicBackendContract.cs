using ActorSocket.Actors.Handlers;
using ActorSocket.Actors.Topics;
using Akka.Actor;
using Akka.TestKit.Xunit2;

namespace ActorSocket.Actors.Tests.Topics;

/// <summary>
/// The behaviour every topic backend must show, local or clustered (as phoenix_pubsub's shared
/// adapter suite): a backend test class derives from this and says how to create the backend.
/// </summary>
public abstract class TopicBackendContract : TestKit
{
    protected TopicBackendContract(string config)
        : base(config)
    {
    }

    /// <summary>A fresh backend speaking the <see cref="Topic"/> protocol; the tests subscribe through it.</summary>
    protected abstract IActorRef CreateBackend();

    /// <summary>
    /// Where the tests publish: the backend itself, or for a cluster the same backend on another
    /// node, so that every publish has to cross to the subscribers.
    /// </summary>
    protected virtual IActorRef PublishVia(IActorRef backend) => backend;

    /// <summary>Whether subscribers receive the published object itself (true on one node; a cluster delivers a decoded copy).</summary>
    protected virtual bool DeliversThePublishedObject => true;

    private static TopicMessage Message(string topic, string json) => TopicMessage.Create(topic, System.Text.Encoding.UTF8.GetBytes(json));

    [Fact]
    public void A_subscribe_is_acknowledged_and_then_every_publish_arrives()
    {
        IActorRef backend = CreateBackend();
        var subscriber = CreateTestProbe();
        backend.Tell(new Topic.Subscribe("room", subscriber, "subscribed"));
        ExpectMsg("subscribed");
        PublishVia(backend).Tell(new Topic.Publish(Message("room", "1"), "published"));
        ExpectMsg("published");
        var delivered = subscriber.ExpectMsg<TopicMessage>();
        Assert.Equal("room", delivered.Topic);
        Assert.Equal("1"u8.ToArray(), delivered.Data.ToArray());
    }

    [Fact]
    public void A_publish_reaches_every_subscriber_of_a_node_as_one_shared_object()
    {
        IActorRef backend = CreateBackend();
        var subscribers = Enumerable.Range(0, 5).Select(_ => CreateTestProbe()).ToList();
        foreach (var subscriber in subscribers)
        {
            backend.Tell(new Topic.Subscribe("room", subscriber, "ok"));
            ExpectMsg("ok");
        }

        TopicMessage message = Message("room", "{\"x\":1}");
        PublishVia(backend).Tell(new Topic.Publish(message));
        var delivered = subscribers.Select(subscriber => subscriber.ExpectMsg<TopicMessage>()).ToList();
        Assert.All(delivered, copy => Assert.Same(delivered[0], copy));
        Assert.Equal(message.Data.ToArray(), delivered[0].Data.ToArray());
        if (DeliversThePublishedObject)
        {
            Assert.Same(message, delivered[0]);
        }
    }

    [Fact]
    public void Messages_from_one_publisher_arrive_in_order()
    {
        IActorRef backend = CreateBackend();
        var subscriber = CreateTestProbe();
        backend.Tell(new Topic.Subscribe("room", subscriber, "ok"));
        ExpectMsg("ok");
        for (int i = 0; i < 500; i++)
        {
            PublishVia(backend).Tell(new Topic.Publish(Message("room", i.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        }

        for (int i = 0; i < 500; i++)
        {
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), System.Text.Encoding.UTF8.GetString(subscriber.ExpectMsg<TopicMessage>().Data.Span));
        }
    }

    [Fact]
    public void Topics_are_independent()
    {
        IActorRef backend = CreateBackend();
        var a = CreateTestProbe();
        var b = CreateTestProbe();
        backend.Tell(new Topic.Subscribe("a", a, "ok"));
        backend.Tell(new Topic.Subscribe("b", b, "ok"));
        ExpectMsg("ok");
        ExpectMsg("ok");
        PublishVia(backend).Tell(new Topic.Publish(Message("a", "1"), "done"));
        ExpectMsg("done");
        a.ExpectMsg<TopicMessage>();
        b.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void An_unsubscribed_subscriber_receives_nothing_more()
    {
        IActorRef backend = CreateBackend();
        var subscriber = CreateTestProbe();
        backend.Tell(new Topic.Subscribe("room", subscriber, "ok"));
        ExpectMsg("ok");
        backend.Tell(new Topic.Unsubscribe("room", subscriber, "gone"));
        ExpectMsg("gone");
        PublishVia(backend).Tell(new Topic.Publish(Message("room", "1"), "published"));
        ExpectMsg("published");
        subscriber.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void A_subscriber_that_stops_leaves_no_subscription()
    {
        IActorRef backend = CreateBackend();
        var doomed = CreateTestProbe();
        var survivor = CreateTestProbe();
        backend.Tell(new Topic.Subscribe("room", doomed, "ok"));
        backend.Tell(new Topic.Subscribe("room", survivor, "ok"));
        ExpectMsg("ok");
        ExpectMsg("ok");
        Watch(doomed);
        doomed.Tell(PoisonPill.Instance);
        ExpectTerminated(doomed);
        // Death watch removes it; publishing until the survivor alone is counted proves it.
        AwaitAssert(() =>
        {
            PublishVia(backend).Tell(new Topic.Publish(Message("room", "1"), "published"));
            ExpectMsg("published");
            survivor.ExpectMsg<TopicMessage>();
            Assert.Equal(1, SubscriptionCount());
        });
    }

    [Fact]
    public void A_publish_without_subscribers_is_acknowledged()
    {
        IActorRef backend = CreateBackend();
        PublishVia(backend).Tell(new Topic.Publish(Message("empty", "1"), "published"));
        ExpectMsg("published");
    }

    /// <summary>Subscriptions the backend holds now (from its metrics).</summary>
    protected abstract double SubscriptionCount();

    /// <summary>The namespaces of the backends under test: <c>w</c> allows wildcard subscriptions, <c>p</c> has presence and join/leave, <c>pc</c> lists at most one present client.</summary>
    internal static NamespaceTable WildcardNamespaces { get; } = new(
        new NamespaceSettings(),
        [
            new NamespaceSettings { Name = "w", Wildcards = true },
            new NamespaceSettings { Name = "p", Presence = true, JoinLeave = true, PresenceWindow = TimeSpan.FromMilliseconds(50) },
            new NamespaceSettings { Name = "pc", Presence = true, PresenceMaxClients = 1 },
        ]);

    private List<(string Topic, string Data)> Receive(Akka.TestKit.TestProbe probe, int count) =>
        [.. Enumerable.Range(0, count).Select(_ => probe.ExpectMsg<TopicMessage>()).Select(m => (m.Topic, System.Text.Encoding.UTF8.GetString(m.Data.Span)))];

    [Fact]
    public void A_pattern_subscriber_receives_every_matching_topic_under_its_own_name_and_nothing_else()
    {
        IActorRef backend = CreateBackend();
        var watcher = CreateTestProbe();
        backend.Tell(new Topic.Subscribe("w:eu.*.temp", watcher, "ok"));
        ExpectMsg("ok");
        foreach ((string topic, string data) in new[] { ("w:eu.berlin.temp", "1"), ("w:eu.berlin.hum", "2"), ("w:us.nyc.temp", "3"), ("w:eu.paris.temp", "4"), ("w:eu.paris.temp.x", "5"), ("x:eu.rome.temp", "6") })
        {
            PublishVia(backend).Tell(new Topic.Publish(Message(topic, data), "published"));
            ExpectMsg("published");
        }

        Assert.Equal([("w:eu.berlin.temp", "1"), ("w:eu.paris.temp", "4")], Receive(watcher, 2).OrderBy(m => m.Data));
        watcher.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void A_subscriber_by_name_and_by_pattern_gets_each_message_once_and_publishes_from_one_publisher_stay_in_order()
    {
        IActorRef backend = CreateBackend();
        var both = CreateTestProbe();
        var pattern = CreateTestProbe();
        backend.Tell(new Topic.Subscribe("w:room.1", both, "ok"));
        ExpectMsg("ok");
        backend.Tell(new Topic.Subscribe("w:room.>", both, "ok"));
        ExpectMsg("ok");
        backend.Tell(new Topic.Subscribe("w:>", both, "ok"));
        ExpectMsg("ok");
        backend.Tell(new Topic.Subscribe("w:room.*", pattern, "ok"));
        ExpectMsg("ok");
        for (int i = 0; i < 50; i++)
        {
            PublishVia(backend).Tell(new Topic.Publish(Message("w:room.1", i.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        }

        var expected = Enumerable.Range(0, 50).Select(i => ("w:room.1", i.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList();
        Assert.Equal(expected, Receive(both, 50));
        Assert.Equal(expected, Receive(pattern, 50));
        both.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void A_pattern_unsubscribed_or_whose_subscriber_stopped_delivers_nothing_more()
    {
        IActorRef backend = CreateBackend();
        var leaving = CreateTestProbe();
        var doomed = CreateTestProbe();
        var staying = CreateTestProbe();
        backend.Tell(new Topic.Subscribe("w:a.>", leaving, "ok"));
        backend.Tell(new Topic.Subscribe("w:a.*", doomed, "ok"));
        backend.Tell(new Topic.Subscribe("w:a.b", doomed, "ok"));
        backend.Tell(new Topic.Subscribe("w:*.b", staying, "ok"));
        ExpectMsg("ok");
        ExpectMsg("ok");
        ExpectMsg("ok");
        ExpectMsg("ok");
        Assert.Equal(4, SubscriptionCount());
        backend.Tell(new Topic.Unsubscribe("w:a.>", leaving, "gone"));
        ExpectMsg("gone");
        Watch(doomed);
        doomed.Tell(PoisonPill.Instance);
        ExpectTerminated(doomed);
        AwaitAssert(() => Assert.Equal(1, SubscriptionCount()));
        PublishVia(backend).Tell(new Topic.Publish(Message("w:a.b", "1"), "published"));
        ExpectMsg("published");
        Assert.Equal([("w:a.b", "1")], Receive(staying, 1));
        leaving.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void A_pattern_is_a_pattern_only_where_the_namespace_allows_wildcards()
    {
        IActorRef backend = CreateBackend();
        var literal = CreateTestProbe();
        backend.Tell(new Topic.Subscribe("room.*", literal, "ok")); // the default namespace has no wildcards: a topic of that name
        ExpectMsg("ok");
        PublishVia(backend).Tell(new Topic.Publish(Message("room.1", "1"), "published"));
        ExpectMsg("published");
        PublishVia(backend).Tell(new Topic.Publish(Message("room.*", "2"), "published"));
        ExpectMsg("published");
        Assert.Equal([("room.*", "2")], Receive(literal, 1));

        backend.Tell(new Topic.Subscribe("w:room.*", literal, "ok", Since: new ActorSocket.Protocol.PubSub.PubSubPosition("e", 0)));
        Assert.Contains("since", ExpectMsg<TopicRefused>().Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Subscribers_of_one_format_share_one_frame_encoded_once_and_others_get_the_message()
    {
        IActorRef backend = CreateBackend();
        var pubsub = Enumerable.Range(0, 3).Select(_ => CreateTestProbe()).ToList();
        var raw = CreateTestProbe();
        var plain = CreateTestProbe();
        foreach (var subscriber in pubsub)
        {
            backend.Tell(new Topic.Subscribe("fmt", subscriber, "ok", Format: TopicFrameFormat.PubSub));
            ExpectMsg("ok");
        }

        backend.Tell(new Topic.Subscribe("fmt", raw, "ok", Format: TopicFrameFormat.Raw));
        ExpectMsg("ok");
        backend.Tell(new Topic.Subscribe("fmt", plain, "ok"));
        ExpectMsg("ok");

        PublishVia(backend).Tell(new Topic.Publish(new TopicMessage("fmt", "{\"n\":1}"u8.ToArray())));
        var frames = pubsub.Select(subscriber => subscriber.ExpectMsg<Connection.SendEncodedFrame>().Frame).ToList();
        Assert.All(frames, frame => Assert.Same(frames[0], frame)); // one encode, one array, for all of them
        Assert.Equal("{\"op\":\"message\",\"topic\":\"fmt\",\"data\":{\"n\":1}}", TextPayload(frames[0]));
        Assert.Equal("{\"n\":1}", TextPayload(raw.ExpectMsg<Connection.SendEncodedFrame>().Frame));
        Assert.Equal("{\"n\":1}", System.Text.Encoding.UTF8.GetString(plain.ExpectMsg<TopicMessage>().Data.Span));

        // Bytes: a binary frame as they are, base64 in the /pubsub envelope.
        PublishVia(backend).Tell(new Topic.Publish(new TopicMessage("fmt", new byte[] { 0, 1, 255 }, TopicPayload.Binary)));
        Assert.Equal("{\"op\":\"message\",\"topic\":\"fmt\",\"data\":\"AAH/\"}", TextPayload(pubsub[1].ExpectMsg<Connection.SendEncodedFrame>().Frame));
        byte[] binary = raw.ExpectMsg<Connection.SendEncodedFrame>().Frame;
        Assert.Equal(0x82, binary[0]); // FIN + binary
        Assert.Equal(new byte[] { 0, 1, 255 }, binary[2..]);
        Assert.Equal(TopicPayload.Binary, plain.ExpectMsg<TopicMessage>().Kind);
    }

    [Fact]
    public void Subscribers_that_compress_alike_share_one_compressed_frame_and_short_messages_stay_plain()
    {
        IActorRef backend = CreateBackend();
        var format = TopicFrameFormat.PubSubCompressed(new ActorSocket.Protocol.Deflate.SharedCompression(1, 64, int.MaxValue));
        Assert.Same(format, TopicFrameFormat.PubSubCompressed(new ActorSocket.Protocol.Deflate.SharedCompression(1, 64, int.MaxValue)));
        var compressing = Enumerable.Range(0, 3).Select(_ => CreateTestProbe()).ToList();
        var plain = CreateTestProbe();
        foreach (var subscriber in compressing)
        {
            backend.Tell(new Topic.Subscribe("zip", subscriber, "ok", Format: format));
            ExpectMsg("ok");
        }

        backend.Tell(new Topic.Subscribe("zip", plain, "ok", Format: TopicFrameFormat.PubSub));
        ExpectMsg("ok");

        string data = "{\"text\":\"" + string.Concat(Enumerable.Repeat("hello room ", 20)) + "\"}";
        string envelope = "{\"op\":\"message\",\"topic\":\"zip\",\"data\":" + data + "}";
        PublishVia(backend).Tell(new Topic.Publish(Message("zip", data)));
        var frames = compressing.Select(subscriber => subscriber.ExpectMsg<Connection.SendEncodedFrame>().Frame).ToList();
        Assert.All(frames, frame => Assert.Same(frames[0], frame)); // compressed once for all of them
        Assert.Equal(0xC1, frames[0][0]); // FIN + RSV1 (compressed) + text
        Assert.True(frames[0].Length < envelope.Length / 2, "compressed to " + frames[0].Length + " bytes");
        Assert.Equal(envelope, Inflate(frames[0]));
        byte[] plainFrame = plain.ExpectMsg<Connection.SendEncodedFrame>().Frame;
        Assert.Equal(0x81, plainFrame[0]); // FIN + text, not compressed
        Assert.Equal(126, plainFrame[1]); // a 16-bit length follows
        Assert.Equal(envelope, System.Text.Encoding.UTF8.GetString(plainFrame, 4, plainFrame.Length - 4));

        // Under the minimum size: the plain frame, for everyone.
        PublishVia(backend).Tell(new Topic.Publish(Message("zip", "1")));
        Assert.Equal("{\"op\":\"message\",\"topic\":\"zip\",\"data\":1}", TextPayload(compressing[0].ExpectMsg<Connection.SendEncodedFrame>().Frame));
    }

    /// <summary>The text of a compressed unmasked frame (RFC 7692: the 00 00 FF FF tail put back, then inflated).</summary>
    private static string Inflate(byte[] frame)
    {
        int header = (frame[1] & 0x7F) switch { 126 => 4, 127 => 10, _ => 2 };
        byte[] deflated = [.. frame[header..], 0x00, 0x00, 0xFF, 0xFF];
        using var inflater = new System.IO.Compression.DeflateStream(new MemoryStream(deflated), System.IO.Compression.CompressionMode.Decompress);
        using var text = new MemoryStream();
        byte[] chunk = new byte[4096];
        int read;
        do
        {
            // The stream ends at the tail's empty block without an end of stream: read what there is.
            read = inflater.Read(chunk);
            text.Write(chunk, 0, read);
        }
        while (read > 0);
        return System.Text.Encoding.UTF8.GetString(text.ToArray());
    }

    /// <summary>The payload of a short unmasked text frame.</summary>
    private static string TextPayload(byte[] frame)
    {
        Assert.Equal(0x81, frame[0]); // FIN + text
        Assert.True(frame[1] < 126);
        return System.Text.Encoding.UTF8.GetString(frame, 2, frame[1]);
    }
}
