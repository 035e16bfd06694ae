package io.wslfleet.protocol.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import java.util.List;

/**
 * A registered WSL distro as the agent sees it.
 *
 * @param state             as {@code wsl -l -v} reports it: Running, Stopped, Installing, …
 * @param currentGeneration the generation {@code /nix/var/nix/profiles/system} points at (NixOS distros only)
 * @param currentSystemPath {@code /run/current-system} when running, else the profile's target
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record DistroInfo(String name, String state, int wslVersion, boolean isDefault, Integer currentGeneration,
                         String currentSystemPath, String nixosVersion, String nixosWslVersion,
                         List<GenerationInfo> generations) {
    public DistroInfo {
        Require.nonBlank(name, "distro.name");
        Require.name(name, "distro.name", 64); // any distro the user has, not only those the agent manages
        Require.name(state, "distro.state", 32);
        Require.name(nixosVersion, "distro.nixosVersion", 128);
        Require.name(nixosWslVersion, "distro.nixosWslVersion", 128);
        StorePath.check(currentSystemPath, "distro.currentSystemPath");
        generations = Require.list(generations, "distro.generations", Require.MAX_LIST);
    }
}
