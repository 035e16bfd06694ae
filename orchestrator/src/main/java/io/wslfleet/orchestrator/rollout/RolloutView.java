package io.wslfleet.orchestrator.rollout;

import io.wslfleet.protocol.events.UpgradeMode;

import java.time.Instant;
import java.util.List;

/**
 * A rollout as the API shows it, with each wave's progress against its thresholds.
 *
 * @param plan the waves as planned, in words: "a canary of 1 machine, then 50% of the targets, then the rest; …"
 */
public record RolloutView(long id, String name, String releaseId, RolloutState state, int currentWave,
                          TargetFilter target, String plan, List<WaveView> waves, int deadlineSeconds, boolean autoRollback,
                          UpgradeMode mode, boolean backupFirst, String createdBy, Instant createdAt,
                          Instant startedAt, Instant finishedAt, Instant soakUntil, String haltReason,
                          MaintenanceWindow maintenanceWindow, Boolean windowOpen, Instant nextWindowOpening,
                          boolean approvalRequired, int approvedWave, String waitingFor,
                          Integer maxConcurrentDownloads) {

    public record WaveView(int index, String name, int size, int succeeded, int errors, int inFlight, int pending,
                           int cancelled, int successThresholdPercent, int errorThresholdPercent, long soakSeconds) {
    }

    public record DeploymentView(String machineId, int wave, DeploymentState state, String commandId,
                                 String rollbackCommandId, Integer previousGeneration, String reportedSystemPath,
                                 String reason, String message, List<String> failedUnits, String logTail,
                                 Instant commandedAt, Instant deadlineAt, Instant finishedAt) {
        static DeploymentView of(Deployment d) {
            return new DeploymentView(d.machineId, d.wave, d.state, d.commandId, d.rollbackCommandId,
                    d.previousGeneration, d.reportedSystemPath, d.reason, d.message,
                    d.failedUnits == null ? List.of() : List.of(d.failedUnits.split(" ")), d.logTail, d.commandedAt,
                    d.deadlineAt, d.finishedAt);
        }
    }

    public record TimelineEntry(Instant at, String actor, String action, String detail) {
    }
}
