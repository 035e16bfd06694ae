package io.wslfleet.protocol.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import java.time.Instant;

/** Move an existing distro to the release; install it when the distro does not exist. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record UpgradeCommand(String commandId, String agentId, String distroName, ReleaseRef release,
                             UpgradeMode mode, boolean backupFirst, Instant deadline) implements AgentCommand {
    public UpgradeCommand {
        Require.id(commandId, "commandId");
        AgentId.check(agentId, "agentId");
        DistroName.check(distroName, "distroName");
        Require.nonNull(release, "release");
        Require.nonNull(deadline, "deadline");
        mode = mode == null ? UpgradeMode.IN_PLACE : mode;
    }
}
