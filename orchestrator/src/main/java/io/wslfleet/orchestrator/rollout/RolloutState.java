package io.wslfleet.orchestrator.rollout;

import java.util.EnumSet;
import java.util.Set;

/** DRAFT → RUNNING ⇄ PAUSED → SUCCEEDED; HALTED on crossing a threshold; ROLLING_BACK → ROLLED_BACK; CANCELLED. */
public enum RolloutState {
    DRAFT, RUNNING, PAUSED, SUCCEEDED, HALTED, ROLLING_BACK, ROLLED_BACK, CANCELLED;

    private static final Set<RolloutState> FINISHED = EnumSet.of(SUCCEEDED, ROLLED_BACK, CANCELLED);

    public boolean finished() {
        return FINISHED.contains(this);
    }
}
