namespace ActorSocket.Gateway.Tests;

/// <summary>Finds files of the repository from the test's output directory.</summary>
public static class RepositoryFiles
{
    /// <summary>The full path of <paramref name="relativePath"/> in the nearest directory above the tests that has it.</summary>
    public static string Find(string relativePath)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            string candidate = Path.Combine(directory.FullName, relativePath);
            if (File.Exists(candidate) || Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException(relativePath + " not found above " + AppContext.BaseDirectory);
    }
}
