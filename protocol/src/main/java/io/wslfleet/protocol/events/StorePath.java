package io.wslfleet.protocol.events;

/** A Nix store path as a system profile points at it: {@code /nix/store/<hash>-<name>}, at most 512 characters. */
final class StorePath {
    private StorePath() {
    }

    static String check(String path, String field) {
        if (path == null) {
            return null;
        }
        Require.name(path, field, 512);
        if (!path.startsWith("/nix/store/") || path.contains("/../") || path.endsWith("/..")) {
            throw new IllegalArgumentException(field + " is not a /nix/store path: " + Require.preview(path));
        }
        return path;
    }
}
