package io.wslfleet.protocol.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** One {@code /nix/var/nix/profiles/system-N-link} and the store path it points at. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record GenerationInfo(int number, String systemPath) {
}
