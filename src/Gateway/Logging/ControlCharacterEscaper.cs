using System.Text;
using Serilog.Core;
using Serilog.Events;

namespace ActorSocket.Gateway.Logging;

/// <summary>
/// Escapes control characters in string properties for the text log format: a close reason, path,
/// topic or header chosen by a client cannot start a line of its own ("\n[12:00:00 ERR] ...") or
/// send terminal escape sequences. Each such character is written as <c>\n</c>, <c>\r</c>,
/// <c>\t</c> or <c>\uXXXX</c>. The JSON format escapes them already.
/// </summary>
internal sealed class ControlCharacterEscaper : ILogEventEnricher
{
    /// <inheritdoc />
    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
    {
        List<LogEventProperty>? escaped = null;
        foreach ((string name, LogEventPropertyValue value) in logEvent.Properties)
        {
            if (value is ScalarValue { Value: string text } && NeedsEscape(text))
            {
                (escaped ??= []).Add(new LogEventProperty(name, new ScalarValue(Escape(text))));
            }
        }

        escaped?.ForEach(logEvent.AddOrUpdateProperty);
    }

    private static bool NeedsEscape(string text)
    {
        foreach (char c in text)
        {
            if (IsControl(c))
            {
                return true;
            }
        }

        return false;
    }

    // C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
    private static bool IsControl(char c) => c < 0x20 || c is >= '\u007F' and <= '\u009F' || c is '\u2028' or '\u2029';

    internal static string Escape(string text)
    {
        var builder = new StringBuilder(text.Length + 16);
        foreach (char c in text)
        {
            switch (c)
            {
                case '\n':
                    builder.Append("\\n");
                    break;
                case '\r':
                    builder.Append("\\r");
                    break;
                case '\t':
                    builder.Append("\\t");
                    break;
                default:
                    if (IsControl(c))
                    {
                        builder.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }

        return builder.ToString();
    }
}
