using System.Text.RegularExpressions;

namespace ActorSocket.Gateway.Tests;

/// <summary>The README and the documents point only inside the repository, at files and headings that exist.</summary>
public partial class DocumentationTests
{
    private static readonly string Root = Path.GetDirectoryName(RepositoryFiles.Find("README.md"))!;

    public static TheoryData<string> Documents()
    {
        var documents = new TheoryData<string>();
        foreach (string path in new[] { "README.md", "bench/README.md", "deploy/README.md" }.Concat(Directory.GetFiles(Path.Combine(Root, "docs"), "*.md").Select(file => "docs/" + Path.GetFileName(file))))
        {
            documents.Add(path);
        }

        return documents;
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public void Every_link_resolves_inside_the_repository(string document)
    {
        string path = Path.Combine(Root, document);
        string text = File.ReadAllText(path);
        Assert.DoesNotContain("../shared", text, StringComparison.Ordinal);
        Assert.DoesNotContain("PROTOCOL.md", text, StringComparison.Ordinal);

        foreach (Match link in LinkPattern().Matches(text))
        {
            string target = link.Groups[1].Value;
            if (target.StartsWith("http://", StringComparison.Ordinal) || target.StartsWith("https://", StringComparison.Ordinal))
            {
                continue;
            }

            string[] parts = target.Split('#', 2);
            string file = parts[0].Length == 0 ? path : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, parts[0]));
            Assert.True(file.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal), document + " links outside the repository: " + target);
            Assert.True(File.Exists(file) || Directory.Exists(file), document + " links to a missing " + target);
            if (parts.Length == 2 && file.EndsWith(".md", StringComparison.Ordinal))
            {
                Assert.Contains(parts[1], Headings(File.ReadAllText(file)));
            }
        }
    }

    [Fact]
    public void The_documents_cover_what_a_newcomer_needs()
    {
        foreach (string name in new[] { "protocol.md", "operations.md", "performance.md", "architecture.md", "handlers.md", "testing.md" })
        {
            Assert.Contains("](docs/" + name + ")", File.ReadAllText(Path.Combine(Root, "README.md")), StringComparison.Ordinal);
        }

        // Every configuration key the embedded defaults define is explained in the operations guide.
        string operations = File.ReadAllText(Path.Combine(Root, "docs/operations.md"));
        foreach (string key in new[] { "max-connections", "ping-interval", "max-message-size", "max-outbound-bytes", "write-timeout", "handler-queue", "compression.enabled", "pubsub.max-topics", "trusted-proxies" })
        {
            Assert.Contains("`" + key, operations, StringComparison.Ordinal);
        }

        Assert.Contains("actorsocket.cluster.enabled", operations, StringComparison.Ordinal);
    }

    /// <summary>GitHub's anchors of a document's headings.</summary>
    private static HashSet<string> Headings(string markdown) =>
        HeadingPattern().Matches(markdown)
            .Select(match => Regex.Replace(match.Groups[1].Value.Trim().ToLowerInvariant(), @"[^a-z0-9 _-]", string.Empty).Replace(' ', '-'))
            .ToHashSet(StringComparer.Ordinal);

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex LinkPattern();

    [GeneratedRegex(@"^#{1,6} (.+)$", RegexOptions.Multiline)]
    private static partial Regex HeadingPattern();
}
