package io.wslfleet.orchestrator.rollout;

import io.wslfleet.orchestrator.FleetConfig;
import io.wslfleet.orchestrator.bus.Outbox;
import io.wslfleet.protocol.events.CommandOutcome;
import io.wslfleet.protocol.events.CommandResult;
import io.wslfleet.protocol.events.RollbackCommand;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Stopping a rollout and taking it back: halting it, cancelling its pending deployments, commanding every machine it
 * moved back to its previous generation, applying what those rollback commands report, and finishing the rollout once
 * no machine is still rolling back. Callers hold the rollout's row lock, as for every change to a rollout.
 */
@ApplicationScoped
public class RolloutRollback {
    @Inject
    Outbox outbox;
    @Inject
    Clock clock;
    @Inject
    FleetConfig config;
    @Inject
    RolloutTimeline timeline;

    /** Stops the rollout; with automatic rollback on, commands every machine it moved back. */
    void halt(Rollout rollout, String reason, Instant now) {
        rollout.state = RolloutState.HALTED;
        rollout.haltReason = reason;
        timeline.record(rollout, "system", "HALTED", reason);
        cancelPending(rollout, now);
        if (rollout.autoRollback) {
            rollBack(rollout, "system", "automatic rollback: " + reason, now);
        }
    }

    void cancelPending(Rollout rollout, Instant now) {
        List<Deployment> pending = Deployment.list("rolloutId = ?1 and state = ?2", rollout.id,
                DeploymentState.PENDING);
        for (Deployment d : pending) {
            d.state = DeploymentState.CANCELLED;
            d.finishedAt = now;
            d.updatedAt = now;
        }
    }

    /**
     * Commands back every machine this rollout moved, or may be moving: succeeded and in-flight deployments that had a
     * previous generation. Failed ones stayed on (or returned to) a working generation by the agent's own guarantee.
     */
    void rollBack(Rollout rollout, String actor, String reason, Instant now) {
        rollout.state = RolloutState.ROLLING_BACK;
        timeline.record(rollout, actor, "ROLLING_BACK", reason);
        List<Deployment> moved = Deployment.list("rolloutId = ?1 and state in ?2", rollout.id,
                List.of(DeploymentState.SUCCEEDED, DeploymentState.COMMANDED, DeploymentState.DOWNLOADING,
                        DeploymentState.INSTALLING, DeploymentState.ACTIVATING, DeploymentState.VERIFYING));
        Instant deadline = now.plus(config.rollout().rollbackDeadline());
        List<RollbackCommand> commands = new ArrayList<>(moved.size());
        for (Deployment d : moved) {
            if (d.previousGeneration == null) {
                // A fresh install has no earlier generation to return to; it stays as it is and says so.
                d.message = "installed fresh by this rollout: no earlier generation to roll back to";
                d.updatedAt = now;
                continue;
            }
            d.rollbackCommandId = UUID.randomUUID().toString();
            commands.add(new RollbackCommand(d.rollbackCommandId, d.machineId, RolloutEngine.DISTRO,
                    d.previousGeneration, reason, deadline));
            d.state = DeploymentState.ROLLING_BACK;
            d.deadlineAt = deadline;
            d.updatedAt = now;
        }
        outbox.enqueueAll(commands);
    }

    /** The result of the rollback command of {@code rolledBack}, read again under its rollout's lock. */
    void applyResult(Deployment rolledBack, CommandResult result) {
        boolean back = result.outcome() == CommandOutcome.SUCCEEDED;
        rolledBack.state = back ? DeploymentState.ROLLED_BACK : DeploymentState.ROLLBACK_FAILED;
        rolledBack.reason = back ? rolledBack.reason : RolloutEngine.reasonOf(result);
        rolledBack.message = result.message();
        rolledBack.reportedSystemPath = result.health() == null ? null : result.health().systemPath();
        rolledBack.finishedAt = clock.instant();
        rolledBack.updatedAt = rolledBack.finishedAt;
    }

    /** A rolling-back rollout is rolled back once none of its deployments is still rolling back. */
    void finishWhenBack(Rollout rollout, Instant now) {
        long open = Deployment.count("rolloutId = ?1 and state = ?2", rollout.id, DeploymentState.ROLLING_BACK);
        if (open == 0) {
            rollout.state = RolloutState.ROLLED_BACK;
            rollout.finishedAt = now;
            timeline.record(rollout, "system", "ROLLED_BACK", "every moved machine is back or reported");
        }
    }
}
