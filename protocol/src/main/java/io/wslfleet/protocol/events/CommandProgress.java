package io.wslfleet.protocol.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * A step of a command has started, or advanced (download bytes).
 *
 * @param step a stable step name: DOWNLOADING, VERIFYING_ARTIFACT, INSTALLING, ACTIVATING, VERIFYING, ROLLING_BACK, …
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record CommandProgress(String agentId, long sequence, String commandId, String step, long bytesDone,
                              long bytesTotal, String message) implements AgentEvent {
    public CommandProgress {
        Require.nonBlank(agentId, "agentId");
        Require.nonBlank(commandId, "commandId");
        Require.nonBlank(step, "step");
    }
}
