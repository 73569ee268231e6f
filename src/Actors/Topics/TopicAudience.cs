using Akka.Actor;

namespace ActorSocket.Actors.Topics;

/// <summary>How one subscriber takes its messages.</summary>
/// <param name="Batches">Whether it takes several messages in one envelope.</param>
/// <param name="Format">The frame format it takes, or null for the message itself.</param>
/// <param name="Origin">Its origin tag: messages published with the same tag are not delivered to it (0: none).</param>
internal sealed record TopicSubscription(bool Batches, TopicFrameFormat? Format, long Origin);

/// <summary>
/// Who receives one topic's messages on this node, arranged for delivery: one group per frame
/// format (each message encoded once per format), split by whether a subscriber takes batches.
/// Immutable: rebuilt when the subscribers change, so a publish iterates arrays. A topic actor has
/// one for its subscribers and one for the wildcard subscribers whose patterns match its name.
/// </summary>
internal sealed class TopicAudience
{
    private readonly string _topic;
    private readonly bool? _keepsLatest;
    private readonly Group[] _groups;
    private readonly KeyValuePair<IActorRef, TopicSubscription>[] _members;

    /// <summary>Arranges <paramref name="members"/> for delivery.</summary>
    /// <param name="topic">The topic (frames under a slow-consumer policy are marked with it).</param>
    /// <param name="keepsLatest">The namespace's slow-consumer policy: null closes a subscriber that falls behind, true keeps the newest frame, false drops the oldest.</param>
    /// <param name="members">The subscribers and how each takes its messages.</param>
    public TopicAudience(string topic, bool? keepsLatest, IEnumerable<KeyValuePair<IActorRef, TopicSubscription>> members)
    {
        _topic = topic;
        _keepsLatest = keepsLatest;
        _members = [.. members];

        // Publishes iterate arrays, one group per format: cheaper than a dictionary enumerator.
        _groups = [.. _members
            .GroupBy(pair => pair.Value.Format)
            .Select(group => new Group(
                group.Key,
                [.. group.Where(pair => !pair.Value.Batches).Select(pair => pair.Key)],
                [.. group.Where(pair => pair.Value.Batches).Select(pair => pair.Key)]))];
    }

    /// <summary>The <c>keepsLatest</c> of a namespace's slow-consumer policy (null: close).</summary>
    public static bool? KeepsLatest(NamespaceSettings space) => space.SlowConsumer switch
    {
        SlowConsumerPolicy.Latest => true,
        SlowConsumerPolicy.DropOldest => false,
        _ => null,
    };

    /// <summary>How many subscribers.</summary>
    public int Count => _members.Length;

    /// <summary>
    /// One message to every subscriber but the one whose origin it carries: the message itself to
    /// those without a format, and to those with one the frame of their format, encoded once here and
    /// shared. Returns the deliveries made.
    /// </summary>
    public int Deliver(TopicMessage message)
    {
        IActorRef? skip = message.Origin != 0 ? MemberOf(message.Origin) : null;
        Group[] groups = _groups;
        int delivered = 0;
        for (int g = 0; g < groups.Length; g++)
        {
            Group group = groups[g];
            object envelope = group.Format is null ? message : Frame(group.Format.FrameFor(message));
            IActorRef[] subscribers = group.All;
            for (int i = 0; i < subscribers.Length; i++)
            {
                if (!ReferenceEquals(subscribers[i], skip))
                {
                    subscribers[i].Tell(envelope, ActorRefs.NoSender);
                }
            }

            delivered += subscribers.Length;
        }

        return skip is null ? delivered : delivered - 1;
    }

    /// <summary>Several messages: one envelope each to subscribers that take batches, one per message to the others. Returns the deliveries made.</summary>
    public int Deliver(IReadOnlyList<TopicMessage> messages)
    {
        if (messages.Count == 1)
        {
            return Deliver(messages[0]);
        }

        // Publishers that asked not to get their own messages back take the batch without them.
        HashSet<IActorRef>? skipped = null;
        foreach (TopicMessage message in messages)
        {
            if (message.Origin != 0 && MemberOf(message.Origin) is { } publisher)
            {
                (skipped ??= []).Add(publisher);
            }
        }

        int delivered = 0;
        foreach (Group group in _groups)
        {
            object batch;
            object[] singles;
            if (group.Format is null)
            {
                batch = new TopicMessages(messages);
                singles = [.. messages];
            }
            else
            {
                byte[][] frames = new byte[messages.Count][];
                for (int i = 0; i < frames.Length; i++)
                {
                    frames[i] = group.Format.FrameFor(messages[i]);
                }

                batch = Frames(frames);
                singles = group.Singles.Length == 0 ? [] : [.. frames.Select(Frame)];
            }

            foreach (IActorRef subscriber in group.Batches)
            {
                if (skipped?.Contains(subscriber) != true)
                {
                    subscriber.Tell(batch, ActorRefs.NoSender);
                }
            }

            foreach (IActorRef subscriber in group.Singles)
            {
                if (skipped?.Contains(subscriber) == true)
                {
                    continue;
                }

                foreach (object single in singles)
                {
                    subscriber.Tell(single, ActorRefs.NoSender);
                }
            }

            delivered += group.All.Length * messages.Count;
        }

        if (skipped is not null)
        {
            foreach (KeyValuePair<IActorRef, TopicSubscription> member in _members)
            {
                if (!skipped.Contains(member.Key))
                {
                    continue;
                }

                TopicMessage[] others = [.. messages.Where(message => message.Origin != member.Value.Origin)];
                delivered -= messages.Count - others.Length;
                if (others.Length > 0)
                {
                    Send(member.Key, member.Value, others, underPolicy: true);
                }
            }
        }

        return delivered;
    }

    /// <summary>
    /// Messages to one subscriber alone, in its format: under the namespace's slow-consumer policy
    /// (<paramref name="underPolicy"/>, live messages), or as frames it must not lose (a replay).
    /// </summary>
    public void Send(IActorRef subscriber, TopicSubscription subscription, IReadOnlyList<TopicMessage> messages, bool underPolicy)
    {
        if (subscription.Format is not { } format)
        {
            if (subscription.Batches)
            {
                subscriber.Tell(new TopicMessages(messages), ActorRefs.NoSender);
            }
            else
            {
                foreach (TopicMessage message in messages)
                {
                    subscriber.Tell(message, ActorRefs.NoSender);
                }
            }
        }
        else if (subscription.Batches)
        {
            byte[][] frames = [.. messages.Select(format.FrameFor)];
            subscriber.Tell(underPolicy ? Frames(frames) : new Handlers.Connection.SendEncodedFrames(frames), ActorRefs.NoSender);
        }
        else
        {
            foreach (TopicMessage message in messages)
            {
                byte[] frame = format.FrameFor(message);
                subscriber.Tell(underPolicy ? Frame(frame) : new Handlers.Connection.SendEncodedFrame(frame), ActorRefs.NoSender);
            }
        }
    }

    /// <summary>
    /// The subscriber whose connection has <paramref name="origin"/>, if it is here. A scan: it costs
    /// what the delivery it precedes costs, and only publishes with <c>"echo": false</c> pay it.
    /// </summary>
    private IActorRef? MemberOf(long origin)
    {
        foreach (KeyValuePair<IActorRef, TopicSubscription> member in _members)
        {
            if (member.Value.Origin == origin)
            {
                return member.Key;
            }
        }

        return null;
    }

    /// <summary>
    /// Frames for a connection: as they are, or, where the namespace lets a subscriber that falls
    /// behind lose messages rather than its connection, marked with the topic and its policy.
    /// </summary>
    private Handlers.Connection.ICommand Frame(byte[] frame) =>
        _keepsLatest is { } latest ? new Handlers.Connection.SendTopicFrames([frame], _topic, latest) : new Handlers.Connection.SendEncodedFrame(frame);

    /// <summary>As <see cref="Frame"/>, for several frames in order.</summary>
    private Handlers.Connection.ICommand Frames(byte[][] frames) => _keepsLatest switch
    {
        null when frames.Length == 1 => new Handlers.Connection.SendEncodedFrame(frames[0]),
        null => new Handlers.Connection.SendEncodedFrames(frames),
        { } latest => new Handlers.Connection.SendTopicFrames(frames, _topic, latest),
    };

    /// <summary>The subscribers of one format (null: the message itself), split by whether they take batches.</summary>
    private sealed class Group(TopicFrameFormat? format, IActorRef[] singles, IActorRef[] batches)
    {
        public TopicFrameFormat? Format { get; } = format;

        public IActorRef[] Singles { get; } = singles;

        public IActorRef[] Batches { get; } = batches;

        public IActorRef[] All { get; } = [.. singles, .. batches];
    }
}
