namespace ActorSocket.Protocol;

/// <summary>Rules about which close codes may appear on the wire.</summary>
public static class CloseCodes
{
    /// <summary>
    /// Whether <paramref name="code"/> may be carried in a close frame.
    /// </summary>
    /// <remarks>
    /// RFC 6455 7.4.1/7.4.2 and the IANA registry: 1000-1003 and 1007-1014 are defined for use on the
    /// wire; 3000-3999 are registered for libraries and frameworks, 4000-4999 are private. Everything
    /// else (0-999, 1004-1006, 1015, unassigned 1016-2999, 5000 and above) is a protocol error.
    /// </remarks>
    public static bool IsValidOnWire(int code) =>
        code is (>= 1000 and <= 1003) or (>= 1007 and <= 1014) or (>= 3000 and <= 4999);
}
