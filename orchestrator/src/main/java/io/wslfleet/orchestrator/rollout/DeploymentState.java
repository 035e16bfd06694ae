package io.wslfleet.orchestrator.rollout;

import java.util.EnumSet;
import java.util.Set;

/**
 * One machine in one rollout: PENDING → COMMANDED → DOWNLOADING → INSTALLING → ACTIVATING → VERIFYING → SUCCEEDED,
 * or FAILED, TIMED_OUT, CANCELLED; after a failure ROLLING_BACK → ROLLED_BACK (or ROLLBACK_FAILED).
 */
public enum DeploymentState {
    PENDING, COMMANDED, DOWNLOADING, INSTALLING, ACTIVATING, VERIFYING,
    SUCCEEDED, FAILED, TIMED_OUT, CANCELLED, ROLLING_BACK, ROLLED_BACK, ROLLBACK_FAILED;

    private static final Set<DeploymentState> IN_FLIGHT = EnumSet.of(COMMANDED, DOWNLOADING, INSTALLING, ACTIVATING,
            VERIFYING);
    private static final Set<DeploymentState> TERMINAL = EnumSet.of(SUCCEEDED, FAILED, TIMED_OUT, CANCELLED,
            ROLLED_BACK, ROLLBACK_FAILED);
    private static final Set<DeploymentState> ERRORS = EnumSet.of(FAILED, TIMED_OUT, ROLLED_BACK, ROLLBACK_FAILED);

    /** Commanded and not finished: the machine may be changing now. */
    public boolean inFlight() {
        return IN_FLIGHT.contains(this);
    }

    public boolean terminal() {
        return TERMINAL.contains(this);
    }

    /** Counts against the wave's error threshold (a device-side rollback is a failure of the release). */
    public boolean isError() {
        return ERRORS.contains(this);
    }

    /** The state a command progress step moves a deployment to, or null when the step says nothing new. */
    public static DeploymentState forStep(String step) {
        if (step == null) {
            return null;
        }
        return switch (step) {
            case "DOWNLOADING", "VERIFYING_ARTIFACT" -> DOWNLOADING;
            case "INSTALLING", "IMPORTING", "COPYING", "BACKING_UP", "UPGRADING" -> INSTALLING;
            case "ACTIVATING", "STARTING", "RESTARTING" -> ACTIVATING;
            case "VERIFYING" -> VERIFYING;
            default -> null;
        };
    }
}
