package io.wslfleet.orchestrator.dashboard;

import io.quarkus.qute.RawString;
import io.quarkus.qute.TemplateExtension;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;

/**
 * Values made readable in the dashboard's templates ({@code {fmt:time(m.lastSeenAt)}}). Times are rendered as
 * {@code <time>} elements in UTC to the second; {@code /ui/time.js} turns them into the viewer's local time, relative
 * ("3 min ago"), with the exact value on hover. Long values are cut, with more on demand, and bounded: a page never
 * carries more than {@link #MAX_SHOWN} characters of one value.
 */
@TemplateExtension(namespace = "fmt")
public final class Readable {
    /** The most of one value a page carries when it is opened; the API has all of it. */
    static final int MAX_SHOWN = 4096;
    private static final DateTimeFormatter UTC = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    private Readable() {
    }

    /** {@code <time datetime="2026-12-02T06:57:49Z">2026-12-02 06:57:49 UTC</time>}, or "-" for no time. */
    public static RawString time(Instant at) {
        if (at == null) {
            return new RawString("-");
        }
        Instant seconds = at.truncatedTo(ChronoUnit.SECONDS);
        return new RawString("<time datetime=\"" + seconds + "\" title=\"" + UTC.format(seconds) + "\">"
                + UTC.format(seconds) + "</time>");
    }

    /**
     * The value, or when longer than {@code shown} characters its start, opened on a click to at most
     * {@link #MAX_SHOWN} characters with the full length said.
     */
    public static RawString cut(String value, int shown) {
        if (value == null) {
            return new RawString("");
        }
        if (value.length() <= shown) {
            return new RawString(escape(value));
        }
        String more = value.length() <= MAX_SHOWN ? escape(value)
                : escape(value.substring(0, MAX_SHOWN)) + "… <em>(" + value.length() + " characters in all; the API has "
                + "every one)</em>";
        return new RawString("<details class=\"cut\"><summary>" + escape(value.substring(0, shown))
                + "…</summary>" + more + "</details>");
    }

    /** Failed units as {@code <code>} items, each cut at {@code shown} characters, at most {@code max} of them. */
    public static RawString units(List<String> units, int max, int shown) {
        if (units == null || units.isEmpty()) {
            return new RawString("");
        }
        StringBuilder sb = new StringBuilder();
        units.stream().limit(max).forEach(u -> sb.append("<code class=\"unit\">").append(cut(u, shown)).append("</code> "));
        if (units.size() > max) {
            sb.append("<em>and ").append(units.size() - max).append(" more</em>");
        }
        return new RawString(sb.toString());
    }

    /** 1,234 bytes as "1.2 KiB", 3.4 GiB and so on. */
    public static String bytes(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        int unit = (63 - Long.numberOfLeadingZeros(bytes)) / 10;
        return String.format(Locale.ROOT, "%.1f %siB", bytes / (double) (1L << (unit * 10)), " KMGTPE".charAt(unit));
    }

    static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }
}
