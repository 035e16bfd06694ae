package io.wslfleet.protocol.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import java.time.Instant;

/** Export the distro ({@code wsl --export}, terminated first for a consistent copy). */
@JsonIgnoreProperties(ignoreUnknown = true)
public record BackupCommand(String commandId, String agentId, String distroName, Instant deadline)
        implements AgentCommand {
    public BackupCommand {
        Require.id(commandId, "commandId");
        AgentId.check(agentId, "agentId");
        DistroName.check(distroName, "distroName");
        Require.nonNull(deadline, "deadline");
    }
}
