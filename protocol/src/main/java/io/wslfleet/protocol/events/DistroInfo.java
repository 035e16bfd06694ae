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
        generations = Require.list(generations);
    }
}
