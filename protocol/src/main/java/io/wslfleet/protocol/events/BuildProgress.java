package io.wslfleet.protocol.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** A build worker's progress on one step: bytes processed of the total (total 0 when unknown). */
@JsonIgnoreProperties(ignoreUnknown = true)
public record BuildProgress(String buildId, String step, long bytesDone, long bytesTotal) implements BuildEvent {
    public BuildProgress {
        Require.id(buildId, "buildId");
        Require.id(step, "step");
        Require.nonNegative(bytesDone, "bytesDone");
        Require.nonNegative(bytesTotal, "bytesTotal");
    }
}
