package io.wslfleet.protocol.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * A build that produced nothing. Nothing was stored under a final name and no release was published.
 *
 * @param reason a stable code (e.g. {@code CHECKSUM_MISMATCH}, {@code NOT_NIXOS_WSL}, {@code NIX_BUILD_FAILED})
 * @param detail what a person needs to act on it
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record BuildFailed(String buildId, String reason, String detail) implements BuildEvent {
    public BuildFailed {
        Require.id(buildId, "buildId");
        Require.id(reason, "reason");
        detail = Require.text(detail, Require.MAX_MESSAGE);
    }
}
