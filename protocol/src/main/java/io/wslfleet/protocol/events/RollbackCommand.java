package io.wslfleet.protocol.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import java.time.Instant;

/**
 * Go back to an earlier NixOS generation.
 *
 * @param toGeneration the generation number, or null for the one before the current
 * @param reason       why, for the agent's log and the machine's history
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record RollbackCommand(String commandId, String agentId, String distroName, Integer toGeneration,
                              String reason, Instant deadline) implements AgentCommand {
    public RollbackCommand {
        Require.nonBlank(commandId, "commandId");
        Require.nonBlank(agentId, "agentId");
        Require.nonBlank(distroName, "distroName");
        Require.nonNull(deadline, "deadline");
    }
}
