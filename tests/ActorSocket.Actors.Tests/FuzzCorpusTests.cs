using ActorSocket.Fuzz;

namespace ActorSocket.Actors.Tests;

/// <summary>
/// Replays every input of fuzz/corpus through its fuzz target on every test run: the seeds, what
/// the fuzzer kept for new coverage, and every crash it found (each becomes a regression test by
/// being saved there). A target throws when an invariant of the hostile-clients rules breaks.
/// </summary>
public class FuzzCorpusTests
{
    public static TheoryData<string> Targets() => [.. FuzzTargets.All.Keys];

    private static string CorpusRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            string candidate = Path.Combine(directory.FullName, "fuzz", "corpus");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("fuzz/corpus not found above " + AppContext.BaseDirectory);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Every_corpus_input_keeps_the_targets_invariants(string target)
    {
        string[] inputs = Directory.GetFiles(Path.Combine(CorpusRoot(), target));
        Assert.NotEmpty(inputs);
        foreach (string input in inputs)
        {
            try
            {
                FuzzTargets.All[target](File.ReadAllBytes(input));
            }
            catch (Exception error)
            {
                Assert.Fail(target + " failed on " + Path.GetFileName(input) + ": " + error);
            }
        }
    }
}
