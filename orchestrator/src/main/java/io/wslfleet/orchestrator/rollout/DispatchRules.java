package io.wslfleet.orchestrator.rollout;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The decisions about commanding machines, free of persistence so every rule is tested with plain values and a given
 * instant: whether the current wave's pending machines may be commanded now (approval, maintenance window, download
 * cap), when a commanded machine's silence becomes a failure, and which machines join a running rollout.
 */
public final class DispatchRules {
    private DispatchRules() {
    }

    /** What the rollout's settings say about its current wave. */
    public record Gate(boolean approvalRequired, int approvedWave, int currentWave, MaintenanceWindow window,
                       Integer maxConcurrent) {
        static Gate of(Rollout rollout) {
            return new Gate(rollout.approvalRequired, rollout.approvedWave, rollout.currentWave,
                    rollout.maintenanceWindow, rollout.maxConcurrent);
        }
    }

    public sealed interface Decision permits WaitForApproval, WaitForWindow, Dispatch {
    }

    /** An operator has not approved the current wave yet. */
    public record WaitForApproval(int wave) implements Decision {
    }

    /** The maintenance window is closed; {@code opensAt} is empty when it does not open within a year. */
    public record WaitForWindow(Optional<Instant> opensAt) implements Decision {
    }

    /** Command this many of the pending machines now (0 when the download cap is used up). */
    public record Dispatch(int machines) implements Decision {
    }

    /**
     * Approval comes first (an unapproved wave does not go out even inside its window), then the window, then the
     * cap: at most {@code maxConcurrent} machines downloading or installing at once, counting the {@code busy} ones.
     */
    public static Decision decide(Gate gate, int pending, long busy, Instant now) {
        if (gate.approvalRequired() && gate.approvedWave() < gate.currentWave()) {
            return new WaitForApproval(gate.currentWave());
        }
        if (gate.window() != null && !gate.window().isOpen(now)) {
            return new WaitForWindow(gate.window().nextOpening(now));
        }
        if (gate.maxConcurrent() == null) {
            return new Dispatch(pending);
        }
        long room = Math.max(0, gate.maxConcurrent() - busy);
        return new Dispatch((int) Math.min(room, pending));
    }

    /**
     * What a deployment becomes when its deadline has passed: a commanded machine that stayed silent is
     * {@code TIMED_OUT} (it counts against the wave), a rollback that never reported is {@code ROLLBACK_FAILED}.
     * At the deadline itself the machine is still in time; finished deployments have no deadline.
     */
    public static Optional<DeploymentState> overdue(DeploymentState state, Instant deadlineAt, Instant now) {
        if (deadlineAt == null || !now.isAfter(deadlineAt)) {
            return Optional.empty();
        }
        if (state == DeploymentState.ROLLING_BACK) {
            return Optional.of(DeploymentState.ROLLBACK_FAILED);
        }
        return state.inFlight() ? Optional.of(DeploymentState.TIMED_OUT) : Optional.empty();
    }

    /** The states {@link #overdue} can change, for the query that finds candidates. */
    static final List<DeploymentState> WITH_DEADLINE = java.util.Arrays.stream(DeploymentState.values())
            .filter(s -> s.inFlight() || s == DeploymentState.ROLLING_BACK).toList();

    /**
     * The machines that join a running rollout now: those matching its target that are not in it yet, in the order
     * given. A rollout that names its machines has a fixed set and no joiners.
     */
    public static List<String> joiners(TargetFilter target, Collection<String> inRollout, List<String> matching) {
        if (!target.machineIds().isEmpty()) {
            return List.of();
        }
        Set<String> known = new HashSet<>(inRollout);
        List<String> joining = new ArrayList<>();
        for (String id : matching) {
            if (known.add(id)) {
                joining.add(id);
            }
        }
        return joining;
    }
}
