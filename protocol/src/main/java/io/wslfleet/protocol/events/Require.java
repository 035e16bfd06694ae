package io.wslfleet.protocol.events;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Invariants checked when an event is constructed, including when it is decoded: a violation is INVALID_DATA.
 * Identifiers and names are refused when too long or outside their grammar; free text (messages, log tails) is cut
 * with a visible marker instead, since a person still wants the part that fits. The bounds are in
 * {@code docs/design.md}, "The event contract".
 */
final class Require {
    /** Event ids, command ids, build and release ids, versions, key ids. */
    static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:+@-]{0,127}");
    static final int MAX_NAME = 256;
    static final int MAX_LIST = 1_000;
    static final int MAX_MESSAGE = 4_096;
    static final int MAX_LOG_TAIL = 65_536;
    static final int MAX_URL = 2_048;

    private Require() {
    }

    static String nonBlank(String value, String field) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(field + " is required");
        }
        return value;
    }

    static <T> T nonNull(T value, String field) {
        if (value == null) {
            throw new IllegalArgumentException(field + " is required");
        }
        return value;
    }

    static long nonNegative(long value, String field) {
        if (value < 0) {
            throw new IllegalArgumentException(field + " must not be negative, was " + value);
        }
        return value;
    }

    /** A required identifier matching {@link #ID}. */
    static String id(String value, String field) {
        nonBlank(value, field);
        if (!ID.matcher(value).matches()) {
            throw new IllegalArgumentException(field + " must match " + ID.pattern() + ", was " + preview(value));
        }
        return value;
    }

    /** An optional name (unit, host, state, version): at most {@code max} characters, no control characters. */
    static String name(String value, String field, int max) {
        if (value == null) {
            return null;
        }
        if (value.length() > max) {
            throw new IllegalArgumentException(field + " is longer than " + max + " characters: " + preview(value));
        }
        for (int i = 0; i < value.length(); i++) {
            if (Character.isISOControl(value.charAt(i))) {
                throw new IllegalArgumentException(field + " contains a control character: " + preview(value));
            }
        }
        return value;
    }

    static String name(String value, String field) {
        return name(value, field, MAX_NAME);
    }

    /** Free text for a person: kept up to {@code max} characters, the rest replaced by a marker saying how much. */
    static String text(String value, int max) {
        if (value == null || value.length() <= max) {
            return value;
        }
        return value.substring(0, max) + " …[cut " + (value.length() - max) + " characters]";
    }

    /** A log tail: the end matters, so the beginning is cut. */
    static String tail(String value, int max) {
        if (value == null || value.length() <= max) {
            return value;
        }
        return "[cut " + (value.length() - max) + " characters]… " + value.substring(value.length() - max);
    }

    static <T> List<T> list(List<T> value) {
        return list(value, "list", MAX_LIST);
    }

    static <T> List<T> list(List<T> value, String field, int max) {
        if (value == null) {
            return List.of();
        }
        if (value.size() > max) {
            throw new IllegalArgumentException(field + " has " + value.size() + " entries, at most " + max);
        }
        return List.copyOf(value);
    }

    /** A list of names, each checked with {@link #name(String, String, int)}. */
    static List<String> names(List<String> value, String field, int maxEntries, int maxLength) {
        List<String> names = list(value, field, maxEntries);
        for (String n : names) {
            nonBlank(n, field + " entry");
            name(n, field + " entry", maxLength);
        }
        return names;
    }

    static <K, V> Map<K, V> map(Map<K, V> value) {
        return value == null ? Map.of() : Map.copyOf(value);
    }

    /** A map of names to names, both bounded. */
    static Map<String, String> labels(Map<String, String> value, String field, int maxEntries) {
        Map<String, String> labels = map(value);
        if (labels.size() > maxEntries) {
            throw new IllegalArgumentException(field + " has " + labels.size() + " entries, at most " + maxEntries);
        }
        labels.forEach((k, v) -> {
            nonBlank(k, field + " key");
            name(k, field + " key", 63);
            name(v, field + "." + k, MAX_NAME);
        });
        return labels;
    }

    static String url(String value, String field) {
        nonBlank(value, field);
        name(value, field, MAX_URL);
        try {
            java.net.URI uri = new java.net.URI(value);
            if (uri.getScheme() == null) {
                throw new IllegalArgumentException(field + " is not an absolute URL: " + preview(value));
            }
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException(field + " is not a URL: " + preview(value));
        }
        return value;
    }

    static String sha256(String value, String field) {
        nonBlank(value, field);
        if (!value.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException(field + " must be 64 lower-case hex digits, was " + preview(value));
        }
        return value;
    }

    /** A value shortened for an error message, so a huge refused value does not make a huge message. */
    static String preview(String value) {
        return value.length() <= 80 ? "'" + value + "'" : "'" + value.substring(0, 80) + "…' (" + value.length()
                + " characters)";
    }
}
