using System.Globalization;
using Xunit.Abstractions;

namespace ActorSocket.Gateway.Tests.Faults;

/// <summary>
/// What a fault scenario measured, printed to the test's output and, when the environment variable
/// <c>ACTORSOCKET_FAULT_RESULTS</c> names a file, appended to it as one tab-separated line (the
/// file <c>bench/run-faults.sh</c> turns into its table).
/// </summary>
internal static class FaultReport
{
    /// <param name="output">The test's output.</param>
    /// <param name="scenario">The scenario, as the docs name it.</param>
    /// <param name="run">The run's clients.</param>
    /// <param name="stayed">The subscribers that stayed on nodes of the surviving majority throughout.</param>
    /// <param name="moved">The subscribers of the faulty node(s), which had to move.</param>
    /// <param name="detected">How long after the fault began a node said so (a /healthz answer or the membership), if it did.</param>
    /// <param name="told">How many clients of the faulty node(s) were told to go elsewhere (1012 or 1001), of how many.</param>
    /// <param name="notes">Anything else worth a line (who was removed, what was asserted).</param>
    public static void Write(ITestOutputHelper output, string scenario, FaultRun run, IReadOnlyList<string> stayed, IReadOnlyList<string> moved, TimeSpan? detected, (int Told, int Of) told, string notes)
    {
        IReadOnlyList<string> violations = run.History.Check(run.Topic, run.Subscribers);
        int lost = stayed.Sum(subscriber => run.History.Check(run.Topic, [subscriber]).Count(v => v.Contains("never received", StringComparison.Ordinal)));
        string line = string.Join('\t',
            scenario,
            run.History.AcknowledgedCount(run.Topic).ToString(CultureInfo.InvariantCulture),
            lost.ToString(CultureInfo.InvariantCulture),
            violations.Count.ToString(CultureInfo.InvariantCulture),
            detected is { } d ? d.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture) : "-",
            run.LongestGap(stayed).TotalSeconds.ToString("F1", CultureInfo.InvariantCulture),
            moved.Count == 0 ? "-" : run.LongestGap(moved).TotalSeconds.ToString("F1", CultureInfo.InvariantCulture),
            told.Of == 0 ? "-" : told.Told.ToString(CultureInfo.InvariantCulture) + " of " + told.Of.ToString(CultureInfo.InvariantCulture),
            notes);
        output.WriteLine("scenario\tacknowledged\tlost (majority side)\tviolations\tdetected (s)\tlongest silence, majority side (s)\tlongest silence, moved clients (s)\tclients told\tnotes");
        output.WriteLine(line);
        if (Environment.GetEnvironmentVariable("ACTORSOCKET_FAULT_RESULTS") is { Length: > 0 } file)
        {
            File.AppendAllText(file, line + "\n");
        }
    }

    /// <summary>Prints every violation the checker found (before a test asserts there are none).</summary>
    public static void Print(ITestOutputHelper output, IReadOnlyList<string> violations)
    {
        foreach (string violation in violations)
        {
            output.WriteLine("violation: " + violation);
        }
    }

    /// <summary>How many of <paramref name="clients"/> were given 1012 or 1001, and how many there are.</summary>
    public static (int Told, int Of) Told(FaultRun run, IReadOnlyList<string> clients) =>
        (clients.Count(client => run.Closes.Any(close => close.Client == client && close.Code is 1012 or 1001)), clients.Count);
}
