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
        Require.id(commandId, "commandId");
        AgentId.check(agentId, "agentId");
        DistroName.check(distroName, "distroName");
        Require.nonNull(deadline, "deadline");
        if (toGeneration != null && toGeneration < 1) {
            throw new IllegalArgumentException("toGeneration must be at least 1, was " + toGeneration);
        }
        reason = Require.text(reason, Require.MAX_MESSAGE);
    }
}
