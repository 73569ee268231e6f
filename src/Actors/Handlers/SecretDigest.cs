using System.Security.Cryptography;
using System.Text;

namespace ActorSocket.Actors.Handlers;

/// <summary>
/// Secrets compared in constant time: each is kept as its SHA-256 digest, and a presented value is
/// hashed and compared with every known digest without stopping at the first match, so neither
/// its length nor which entry it resembles nor whether a user exists shows in the time taken.
/// </summary>
internal static class SecretDigest
{
    public static byte[] Of(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    /// <summary>The index of the entry whose digest equals <paramref name="presented"/>'s, or -1; always compares with all.</summary>
    public static int Find(IReadOnlyList<byte[]> digests, string presented)
    {
        byte[] digest = Of(presented);
        int found = -1;
        for (int i = 0; i < digests.Count; i++)
        {
            bool equal = CryptographicOperations.FixedTimeEquals(digests[i], digest);
            found = equal ? i : found;
        }

        return found;
    }
}
