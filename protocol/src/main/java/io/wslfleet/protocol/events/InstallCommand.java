package io.wslfleet.protocol.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import java.time.Instant;

/** Install the release as a new distro (the distro must not exist yet). */
@JsonIgnoreProperties(ignoreUnknown = true)
public record InstallCommand(String commandId, String agentId, String distroName, ReleaseRef release,
                             Instant deadline) implements AgentCommand {
    public InstallCommand {
        Require.id(commandId, "commandId");
        AgentId.check(agentId, "agentId");
        DistroName.check(distroName, "distroName");
        Require.nonNull(release, "release");
        Require.nonNull(deadline, "deadline");
    }
}
