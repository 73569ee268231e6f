using ActorSocket.Actors.Cluster;

namespace ActorSocket.Actors.Tests.Cluster;

/// <summary>The pause detector's verdict, on a fake clock: threshold 3 s, settle 5 s.</summary>
public class PauseDetectorTests
{
    private static readonly TimeSpan Threshold = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(5);

    private static TimeSpan At(double seconds) => TimeSpan.FromSeconds(seconds);

    private static PauseDetector Started() => new(Threshold, Settle, At(0), watch: false);

    [Fact]
    public void Regular_observations_keep_the_view_trusted()
    {
        using PauseDetector detector = Started();
        for (double t = 0.25; t <= 60; t += 0.25)
        {
            detector.Observe(At(t));
            Assert.Null(detector.Stale(At(t + 0.1)));
        }
    }

    [Fact]
    public void A_gap_up_to_the_threshold_is_no_pause()
    {
        using PauseDetector detector = Started();
        detector.Observe(At(3)); // a 3 s collection: the failure detectors of the others tolerate it
        Assert.Null(detector.Stale(At(3.1)));
    }

    [Fact]
    public void While_waking_up_from_a_pause_the_view_is_stale_before_the_watcher_has_run()
    {
        using PauseDetector detector = Started();
        detector.Observe(At(1));

        // Frozen from 1 s to 41 s: a request answered at 41 s, before the next observation, sees the gap itself.
        Assert.Equal(At(40), detector.Stale(At(41)));
    }

    [Fact]
    public void After_a_pause_the_view_is_stale_for_the_settle_time_then_trusted_again()
    {
        using PauseDetector detector = Started();
        detector.Observe(At(1));
        detector.Observe(At(41)); // the pause is over: 40 s
        Assert.Equal(At(40), detector.Stale(At(41)));
        for (double t = 41.25; t < 46; t += 0.25)
        {
            detector.Observe(At(t));
            Assert.Equal(At(40), detector.Stale(At(t)));
        }

        detector.Observe(At(46.25));
        Assert.Null(detector.Stale(At(46.25)));
    }
}
