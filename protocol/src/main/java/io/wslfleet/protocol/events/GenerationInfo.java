package io.wslfleet.protocol.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** One {@code /nix/var/nix/profiles/system-N-link} and the store path it points at. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record GenerationInfo(int number, String systemPath) {
    public GenerationInfo {
        if (number < 0) {
            throw new IllegalArgumentException("generation number must not be negative, was " + number);
        }
        StorePath.check(systemPath, "generation.systemPath");
    }
}
