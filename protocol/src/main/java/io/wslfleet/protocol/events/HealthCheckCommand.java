package io.wslfleet.protocol.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import java.time.Instant;

/** Verify the distro now and report its health in the result. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record HealthCheckCommand(String commandId, String agentId, String distroName, Instant deadline)
        implements AgentCommand {
    public HealthCheckCommand {
        Require.id(commandId, "commandId");
        AgentId.check(agentId, "agentId");
        DistroName.check(distroName, "distroName");
        Require.nonNull(deadline, "deadline");
    }
}
