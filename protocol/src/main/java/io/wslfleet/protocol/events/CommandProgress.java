package io.wslfleet.protocol.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * A step of a command has started, or advanced (download bytes).
 *
 * @param step a stable step name: DOWNLOADING, VERIFYING_ARTIFACT, INSTALLING, ACTIVATING, VERIFYING, ROLLING_BACK, …
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record CommandProgress(String agentId, long epoch, long sequence, String commandId, String step,
                              long bytesDone, long bytesTotal, String message) implements AgentEvent {
    public CommandProgress {
        AgentId.check(agentId, "agentId");
        AgentEvent.checkEpoch(epoch);
        AgentEvent.checkSequence(sequence);
        Require.id(commandId, "commandId");
        Require.id(step, "step");
        Require.nonNegative(bytesDone, "bytesDone");
        Require.nonNegative(bytesTotal, "bytesTotal");
        message = Require.text(message, Require.MAX_MESSAGE);
    }

    public CommandProgress(String agentId, long sequence, String commandId, String step, long bytesDone,
                           long bytesTotal, String message) {
        this(agentId, 0, sequence, commandId, step, bytesDone, bytesTotal, message);
    }

    @Override
    public CommandProgress at(long newEpoch, long newSequence) {
        return new CommandProgress(agentId, newEpoch, newSequence, commandId, step, bytesDone, bytesTotal, message);
    }
}
