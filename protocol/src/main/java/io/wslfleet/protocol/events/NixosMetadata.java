package io.wslfleet.protocol.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * What the build worker read out of a {@code nixos.wsl}.
 *
 * @param nixosVersion     e.g. {@code 25.05.20250601.abcdef0}
 * @param hostName         the host of {@code nixos-system-<host>-<version>}
 * @param systemPath       the {@code /nix/store/…-nixos-system-…} path the system profile points at
 * @param generation       N of the {@code system-N-link} the profile points at
 * @param nixosWslVersion  the NixOS-WSL version, or null where the archive does not tell
 * @param uncompressedSize bytes of all entries
 * @param entryCount       number of tar entries
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record NixosMetadata(String nixosVersion, String hostName, String systemPath, int generation,
                            String nixosWslVersion, long uncompressedSize, long entryCount) {
    public NixosMetadata {
        Require.nonBlank(systemPath, "nixos.systemPath");
        StorePath.check(systemPath, "nixos.systemPath");
        Require.name(nixosVersion, "nixos.nixosVersion", 128);
        Require.name(hostName, "nixos.hostName", 255);
        Require.name(nixosWslVersion, "nixos.nixosWslVersion", 128);
    }
}
