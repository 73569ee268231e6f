namespace ActorSocket.Gateway.Tests.Faults;

/// <summary>The checker itself: it passes a clean run and catches each kind of violation.</summary>
public class OperationHistoryTests
{
    private static OperationHistory Clean()
    {
        var history = new OperationHistory();
        for (int i = 1; i <= 3; i++)
        {
            history.Published("p", "t", i, acknowledged: true);
            history.Received("s", "t", i, "p", i);
        }

        return history;
    }

    [Fact]
    public void A_clean_run_has_no_violation() => Assert.Empty(Clean().Check("t", ["s"]));

    [Fact]
    public void A_lost_acknowledged_message_is_a_violation_and_a_lost_unacknowledged_one_is_not()
    {
        OperationHistory history = Clean();
        history.Published("p", "t", 4, acknowledged: false);
        Assert.Empty(history.Check("t", ["s"]));
        history.Published("p", "t", 5, acknowledged: true);
        Assert.Contains("never received acknowledged p#5", Assert.Single(history.Check("t", ["s"])), StringComparison.Ordinal);
        Assert.Single(history.Check("t", ["s", "quiet"]), v => v.StartsWith("s on", StringComparison.Ordinal));
    }

    [Fact]
    public void Duplicates_reordering_phantoms_and_offset_gaps_are_violations()
    {
        OperationHistory history = Clean();
        history.Received("s", "t", 4, "p", 3); // a duplicate, out of order, with the next offset
        history.Received("s", "t", 6, "ghost", 1); // nobody published it, and offset 5 is missing
        IReadOnlyList<string> violations = history.Check("t", ["s"]);
        Assert.Contains(violations, v => v.Contains("p#3 twice", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("p#3 after #3", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("ghost#1, which nobody published", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("offset 6 after 4", StringComparison.Ordinal));
    }

    [Fact]
    public void After_a_resubscribe_that_did_not_recover_a_gap_is_allowed_and_missed_messages_are_not_owed()
    {
        OperationHistory history = Clean();
        history.Published("p", "t", 4, acknowledged: true); // missed while away
        history.Published("p", "t", 5, acknowledged: true);
        history.Resubscribed("s", "t", recovered: false);
        history.Received("s", "t", 5, "p", 5);
        Assert.Empty(history.Check("t", ["s"]));

        // The owner's node died: the topic goes on in a new epoch, its offsets from 1 again.
        history.Published("p", "t", 6, acknowledged: true);
        history.Resubscribed("s", "t", recovered: false);
        history.Received("s", "t", 1, "p", 6);
        history.Published("p", "t", 7, acknowledged: true);
        history.Received("s", "t", 2, "p", 7);
        Assert.Empty(history.Check("t", ["s"]));
        history.Received("s", "t", 1, "p", 8); // but within an epoch, never backwards
        Assert.Contains(history.Check("t", ["s"]), v => v.Contains("offset 1 after 2", StringComparison.Ordinal));

        // A recovered resubscribe owes everything, without gaps.
        OperationHistory recovered = Clean();
        recovered.Published("p", "t", 4, acknowledged: true);
        recovered.Resubscribed("s", "t", recovered: true);
        Assert.NotEmpty(recovered.Check("t", ["s"]));
    }
}
