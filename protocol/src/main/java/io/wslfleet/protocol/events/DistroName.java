package io.wslfleet.protocol.events;

import java.util.regex.Pattern;

/**
 * A WSL distribution name as WSL accepts it: letters, digits, {@code . _ -} (the rule Microsoft's distro launcher
 * documents, {@code ^[a-zA-Z0-9._-]+$}), here also at most 64 characters and not starting with a dot, so that a name
 * can never be {@code .} or {@code ..} or climb out of a directory it names. The agent uses the name for a folder of
 * its state directory and on wsl.exe's command line; anything else is refused, on the bus as INVALID_DATA.
 */
public final class DistroName {
    /** The distro every NixOS-WSL image names by default ({@code [oobe] defaultName=NixOS}). */
    public static final String NIXOS = "NixOS";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}");

    private DistroName() {
    }

    public static String check(String name, String field) {
        Require.nonBlank(name, field);
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(field + " must be a WSL distro name (" + NAME.pattern() + "), was "
                    + Require.preview(name));
        }
        return name;
    }

    public static boolean isValid(String name) {
        return name != null && NAME.matcher(name).matches();
    }
}
