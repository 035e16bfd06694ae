package io.wslfleet.orchestrator.rollout;

import io.wslfleet.orchestrator.machine.MachineCommands;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import io.wslfleet.orchestrator.FleetConfig;
import io.wslfleet.orchestrator.bus.Outbox;
import io.wslfleet.orchestrator.machine.HealthState;
import io.wslfleet.orchestrator.machine.Machine;
import io.wslfleet.orchestrator.release.Release;
import io.wslfleet.protocol.events.DistroName;
import io.wslfleet.protocol.events.AgentCommand;
import io.wslfleet.protocol.events.CommandProgress;
import io.wslfleet.protocol.events.CommandResult;
import io.wslfleet.protocol.events.InstallCommand;
import io.wslfleet.protocol.events.ReleaseRef;
import io.wslfleet.protocol.events.UpgradeCommand;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.transaction.TransactionSynchronizationRegistry;
import jakarta.transaction.Transactional;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Drives rollouts: dispatches commands wave by wave through the outbox, applies what agents report, times out silent
 * machines and halts on thresholds ({@link RolloutRollback} halts and rolls back). Every decision about a rollout
 * happens under its row lock, taken with {@code SKIP LOCKED} by the periodic tick, so instances side by side never
 * decide for the same rollout at once.
 */
@ApplicationScoped
public class RolloutEngine implements MachineCommands {
    private static final Logger LOG = Logger.getLogger(RolloutEngine.class);
    static final String DISTRO = DistroName.NIXOS;

    @Inject
    EntityManager em;
    @Inject
    TransactionSynchronizationRegistry transactions;
    @Inject
    Outbox outbox;
    @Inject
    Clock clock;
    @Inject
    FleetConfig config;
    @Inject
    RolloutTimeline timeline;
    @Inject
    DeploymentBatches batches;
    @Inject
    RolloutRollback rollback;

    // ---- what agents report ------------------------------------------------------------------------------------

    @Transactional(Transactional.TxType.MANDATORY)
    @Override
    public void onProgress(CommandProgress progress) {
        Deployment d = byCommand(progress.commandId());
        if (d == null) {
            return;
        }
        lockRolloutOf(d);
        if (d.state.terminal()) {
            return;
        }
        DeploymentState next = DeploymentState.forStep(progress.step());
        if ("ROLLING_BACK".equals(progress.step()) && d.state.inFlight()) {
            next = DeploymentState.ROLLING_BACK; // the agent is rolling back a failed activation by itself
        }
        if (next != null && d.state != DeploymentState.ROLLING_BACK && next.ordinal() > d.state.ordinal()) {
            d.state = next;
            d.updatedAt = clock.instant();
        }
    }

    @Transactional(Transactional.TxType.MANDATORY)
    @Override
    public void onResult(CommandResult result) {
        Deployment d = byCommand(result.commandId());
        if (d != null) {
            Rollout rollout = lockRolloutOf(d);
            applyResult(rollout, d, result);
            return;
        }
        Deployment rolledBack = Deployment.find("rollbackCommandId", result.commandId()).firstResult();
        if (rolledBack != null) {
            lockRolloutOf(rolledBack);
            rollback.applyResult(rolledBack, result);
        }
    }

    private void applyResult(Rollout rollout, Deployment d, CommandResult result) {
        if (d.state.terminal()) {
            return;
        }
        Release release = Release.findById(rollout.releaseId);
        String reported = result.health() == null ? null : result.health().systemPath();
        d.reportedSystemPath = reported;
        d.message = result.message();
        d.failedUnits = result.failedUnits().isEmpty() ? null : String.join(" ", result.failedUnits());
        d.logTail = result.logTail();
        d.finishedAt = clock.instant();
        d.updatedAt = d.finishedAt;
        switch (result.outcome()) {
            case SUCCEEDED -> {
                // Success is the machine running the new system, healthy: not the installer exiting 0.
                boolean running = result.health() != null && result.health().healthy();
                if (running && release.systemPath.equals(reported)) {
                    d.state = DeploymentState.SUCCEEDED;
                    d.reason = null;
                } else {
                    d.state = DeploymentState.FAILED;
                    d.reason = running ? "REPORTED_OTHER_SYSTEM" : "NOT_HEALTHY";
                    d.message = "the machine reports " + reported + " in state "
                            + (result.health() == null ? "unknown" : result.health().systemState())
                            + "; expected " + release.systemPath + " running";
                }
            }
            case ROLLED_BACK -> {
                d.state = DeploymentState.ROLLED_BACK;
                d.reason = reasonOf(result);
            }
            case ROLLBACK_FAILED -> {
                d.state = DeploymentState.ROLLBACK_FAILED;
                d.reason = reasonOf(result);
            }
            case FAILED, REFUSED -> {
                d.state = DeploymentState.FAILED;
                d.reason = reasonOf(result);
            }
        }
        if (d.state != DeploymentState.SUCCEEDED) {
            timeline.record(rollout, "system", "DEPLOYMENT_" + d.state, d.machineId + ": " + d.reason
                    + (d.failedUnits == null ? "" : " (failed units: " + d.failedUnits + ")"));
        }
    }

    /** Whether {@code commandId} names a command (or rollback command) this orchestrator issued to that machine. */
    @Override
    public boolean issuedTo(String machineId, String commandId) {
        return em.createQuery("select count(d) from Deployment d where d.machineId = :machine "
                        + "and (d.commandId = :command or d.rollbackCommandId = :command)", Long.class)
                .setParameter("machine", machineId).setParameter("command", commandId).getSingleResult() > 0;
    }

    /**
     * A machine cut off (revoked or decommissioned): its deployments not finished yet are cancelled, so no rollout
     * waits for it or commands it again.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    @Override
    public int cutOff(String machineId, String why) {
        Instant now = clock.instant();
        List<Deployment> open = Deployment.list("machineId = ?1 and state in ?2", machineId,
                List.of(DeploymentState.PENDING, DeploymentState.COMMANDED, DeploymentState.DOWNLOADING,
                        DeploymentState.INSTALLING, DeploymentState.ACTIVATING, DeploymentState.VERIFYING,
                        DeploymentState.ROLLING_BACK));
        for (Deployment d : open) {
            Rollout rollout = lockRolloutOf(d);
            if (d.state.terminal()) {
                continue;
            }
            d.state = DeploymentState.CANCELLED;
            d.reason = "MACHINE_CUT_OFF";
            d.message = why;
            d.finishedAt = now;
            d.updatedAt = now;
            timeline.record(rollout, "system", "DEPLOYMENT_CANCELLED", machineId + ": " + why);
        }
        return open.size();
    }

    private Deployment byCommand(String commandId) {
        return Deployment.find("commandId", commandId).firstResult();
    }

    /**
     * Takes the deployment's rollout lock, shared, then locks and reads the deployment again: the tick and the
     * operator's decisions change deployments only under the rollout's exclusive lock, so what was read before waiting
     * for it may be stale, while agent events of other machines (other deployments) go on side by side under the
     * shared one. Locks are taken in the tick's order (rollout, then its deployments), so a batch of agent events
     * never holds a deployment row while waiting for a rollout. Each lock is taken once per transaction: a batch of
     * a thousand events about one rollout asks for it once, and a deployment this transaction has locked already is
     * not read again (nobody else can have changed it, and the read would drop this batch's own unflushed changes).
     */
    private Rollout lockRolloutOf(Deployment d) {
        HeldLocks held = HeldLocks.of(transactions);
        Rollout rollout = held.rollouts.add(d.rolloutId)
                ? em.find(Rollout.class, d.rolloutId, LockModeType.PESSIMISTIC_READ)
                : em.find(Rollout.class, d.rolloutId);
        if (held.deployments.add(d.id)) {
            em.refresh(d, LockModeType.PESSIMISTIC_WRITE);
        }
        return rollout;
    }

    /** The rollouts (shared) and deployments (exclusive) the current transaction has locked for agent events. */
    private static final class HeldLocks {
        final Set<Long> rollouts = new HashSet<>();
        final Set<Long> deployments = new HashSet<>();

        static HeldLocks of(TransactionSynchronizationRegistry transactions) {
            HeldLocks held = (HeldLocks) transactions.getResource(HeldLocks.class);
            if (held == null) {
                held = new HeldLocks();
                transactions.putResource(HeldLocks.class, held);
            }
            return held;
        }
    }

    private Rollout lock(Long rolloutId) {
        return em.find(Rollout.class, rolloutId, LockModeType.PESSIMISTIC_WRITE);
    }

    // ---- the periodic decisions --------------------------------------------------------------------------------

    @Scheduled(every = "${fleet.rollout.tick-every:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            delayed = "1s")
    void tickScheduled() {
        scheduledWork.run(() -> {
            try {
                tick();
            } catch (RuntimeException e) {
                LOG.warnf(e, "rollout tick failed; next tick retries");
            }
        });
    }

    @Inject
    io.wslfleet.orchestrator.ops.ScheduledWork scheduledWork;

    /** Advances every active rollout one step; each in its own transaction under its row lock. */
    public void tick() {
        List<Long> active = QuarkusTransaction.requiringNew().call(() -> em.createQuery(
                        "select r.id from Rollout r where r.state in :states order by r.id", Long.class)
                .setParameter("states", List.of(RolloutState.RUNNING, RolloutState.PAUSED,
                        RolloutState.ROLLING_BACK))
                .getResultList());
        for (Long id : active) {
            boolean more;
            do {
                more = QuarkusTransaction.requiringNew().call(() -> {
                    @SuppressWarnings("unchecked")
                    List<Rollout> locked = em.createNativeQuery(
                                    "select * from rollout where id = :id for update skip locked", Rollout.class)
                            .setParameter("id", id).getResultList();
                    return !locked.isEmpty() && advance(locked.get(0));
                });
            } while (more); // a full dispatch batch went out: the next goes in a transaction of its own at once
        }
    }

    /** One step of the rollout; returns whether it dispatched a full batch, so that more may be pending. */
    boolean advance(Rollout rollout) {
        Instant now = clock.instant();
        timeOutSilentMachines(rollout, now);
        switch (rollout.state) {
            case RUNNING -> {
                return advanceRunning(rollout, now);
            }
            case ROLLING_BACK -> rollback.finishWhenBack(rollout, now);
            default -> {
                // PAUSED: in-flight deployments still report and time out, nothing new is dispatched
            }
        }
        return false;
    }

    private void timeOutSilentMachines(Rollout rollout, Instant now) {
        List<Deployment> candidates = Deployment.list("rolloutId = ?1 and deadlineAt < ?2 and state in ?3",
                rollout.id, now, DispatchRules.WITH_DEADLINE);
        for (Deployment d : candidates) {
            DeploymentState next = DispatchRules.overdue(d.state, d.deadlineAt, now).orElse(null);
            if (next == null) {
                continue;
            }
            d.state = next;
            d.reason = "DEADLINE_PASSED";
            d.message = "no result by " + d.deadlineAt;
            d.finishedAt = now;
            d.updatedAt = now;
            timeline.record(rollout, "system", "DEPLOYMENT_" + d.state, d.machineId + " silent past its deadline");
        }
    }

    private boolean advanceRunning(Rollout rollout, Instant now) {
        admitJoiners(rollout, now);
        RolloutPlan plan = rollout.plan;
        int waves = waveCount(rollout);
        RolloutPlan.Wave wave = plan.waves().get(Math.min(rollout.currentWave, plan.waves().size() - 1));
        WaveRules.Verdict verdict = WaveRules.evaluate(wave, counts(rollout, rollout.currentWave), now,
                rollout.soakUntil);
        if (verdict instanceof WaveRules.Halt halt) {
            rollback.halt(rollout, halt.reason(), now);
        } else if (verdict instanceof WaveRules.Soak soak) {
            if (rollout.soakUntil == null) {
                timeline.record(rollout, "system", "WAVE_SUCCEEDED", "wave " + rollout.currentWave
                        + " succeeded; soaking until " + soak.until());
            }
            rollout.soakUntil = soak.until();
        } else if (verdict instanceof WaveRules.Proceed) {
            if (rollout.currentWave + 1 >= waves) {
                rollout.state = RolloutState.SUCCEEDED;
                rollout.finishedAt = now;
                timeline.record(rollout, "system", "SUCCEEDED", "every wave succeeded");
            } else {
                rollout.currentWave++;
                rollout.soakUntil = null;
                rollout.waveStartedAt = now;
                timeline.record(rollout, "system", "WAVE_STARTED", "wave " + rollout.currentWave);
                return dispatch(rollout, now);
            }
        } else {
            return dispatch(rollout, now);
        }
        return false;
    }

    /**
     * Commands the pending machines of the current wave: once the wave is approved (when the rollout requires
     * approvals), inside the maintenance window (when it has one), and no more at once than the download cap. The
     * deployments are read and changed as sets ({@link DeploymentBatches}) and the commands written to the outbox in
     * one statement. Returns whether a full {@code fleet.rollout.dispatch-batch} went out (more may be pending).
     */
    private boolean dispatch(Rollout rollout, Instant now) {
        int available = batches.countPending(rollout.id, rollout.currentWave, config.rollout().dispatchBatch());
        if (available == 0) {
            return false;
        }
        long busy = rollout.maxConcurrent == null ? 0 : Deployment.count("rolloutId = ?1 and state in ?2",
                rollout.id, List.of(DeploymentState.COMMANDED, DeploymentState.DOWNLOADING,
                        DeploymentState.INSTALLING));
        DispatchRules.Decision decision = DispatchRules.decide(DispatchRules.Gate.of(rollout),
                available, busy, now);
        if (decision instanceof DispatchRules.WaitForApproval) {
            waitFor(rollout, "APPROVAL", "wave " + rollout.currentWave + " waits for an operator's approval");
            return false;
        }
        if (decision instanceof DispatchRules.WaitForWindow closed) {
            waitFor(rollout, "MAINTENANCE_WINDOW", "outside the maintenance window; it opens next at "
                    + closed.opensAt().map(Instant::toString).orElse("never within a year"));
            return false;
        }
        if (rollout.waitingFor != null) {
            timeline.record(rollout, "system", "DISPATCHING", "no longer waiting for " + rollout.waitingFor);
            rollout.waitingFor = null;
        }
        int machines = ((DispatchRules.Dispatch) decision).machines();
        if (machines == 0) {
            return false;
        }
        List<DeploymentBatches.Pending> pending = batches.pending(rollout.id, rollout.currentWave, machines);
        Release release = Release.findById(rollout.releaseId);
        ReleaseRef ref = new ReleaseRef(release.id, release.version, release.downloadUrl, release.sha256,
                release.sizeBytes, release.manifest, release.signature, release.keyId, release.systemPath);
        Instant deadline = now.plusSeconds(rollout.deadlineSeconds);
        List<Long> alreadyCurrent = new ArrayList<>();
        List<DeploymentBatches.Commanded> commanded = new ArrayList<>(pending.size());
        List<AgentCommand> commands = new ArrayList<>(pending.size());
        for (DeploymentBatches.Pending d : pending) {
            if (release.systemPath.equals(d.currentSystemPath())
                    && d.healthState() == HealthState.HEALTHY) {
                alreadyCurrent.add(d.id());
                continue;
            }
            String commandId = UUID.randomUUID().toString();
            commanded.add(new DeploymentBatches.Commanded(d.id(), commandId, d.currentGeneration(),
                    d.currentSystemPath()));
            boolean hasDistro = d.currentSystemPath() != null && d.healthState() != HealthState.ABSENT;
            commands.add(hasDistro
                    ? new UpgradeCommand(commandId, d.machineId(), DISTRO, ref, rollout.upgradeMode,
                    rollout.backupFirst, deadline)
                    : new InstallCommand(commandId, d.machineId(), DISTRO, ref, deadline));
        }
        batches.succeedAlreadyCurrent(alreadyCurrent, release.systemPath, now);
        batches.command(commanded, now, deadline);
        outbox.enqueueAll(commands);
        return machines == config.rollout().dispatchBatch();
    }

    private void waitFor(Rollout rollout, String what, String detail) {
        if (!what.equals(rollout.waitingFor)) {
            rollout.waitingFor = what;
            timeline.record(rollout, "system", "WAITING_FOR_" + what, detail);
        }
    }

    /**
     * Machines that match a running rollout's target but were not there when it started (new workstations, changed
     * labels) join it in its current wave. Rollouts that name their machines have no joiners.
     */
    void admitJoiners(Rollout rollout, Instant now) {
        TargetFilter filter = rollout.target;
        if (!filter.machineIds().isEmpty()) {
            return;
        }
        List<String> inRollout = em.createQuery("select d.machineId from Deployment d where d.rolloutId = :id",
                String.class).setParameter("id", rollout.id).getResultList();
        for (String machineId : DispatchRules.joiners(filter, inRollout, filter.machines().admitted().ids(em))) {
            Deployment d = new Deployment();
            d.rolloutId = rollout.id;
            d.machineId = machineId;
            d.wave = rollout.currentWave;
            d.state = DeploymentState.PENDING;
            d.updatedAt = now;
            d.persist();
            timeline.record(rollout, "system", "JOINED", machineId + " matches the target; joins wave "
                    + rollout.currentWave);
        }
    }

    /** The wave's deployments by state, counted in the database: a wave of 100,000 is not loaded to count it. */
    WaveRules.Counts counts(Rollout rollout, int wave) {
        List<Object[]> rows = em.createQuery("select d.state, count(d) from Deployment d "
                        + "where d.rolloutId = :id and d.wave = :wave group by d.state", Object[].class)
                .setParameter("id", rollout.id).setParameter("wave", wave).getResultList();
        int total = 0, succeeded = 0, errors = 0, inFlight = 0, pending = 0, cancelled = 0;
        for (Object[] row : rows) {
            DeploymentState state = (DeploymentState) row[0];
            int n = ((Number) row[1]).intValue();
            total += n;
            if (state == DeploymentState.SUCCEEDED) {
                succeeded += n;
            } else if (state.isError()) {
                errors += n;
            } else if (state == DeploymentState.PENDING) {
                pending += n;
            } else if (state == DeploymentState.CANCELLED) {
                cancelled += n;
            } else {
                inFlight += n;
            }
        }
        return new WaveRules.Counts(total, succeeded, errors, inFlight, pending, cancelled);
    }

    static int waveCount(Rollout rollout) {
        Number max = (Number) Deployment.getEntityManager()
                .createQuery("select max(d.wave) from Deployment d where d.rolloutId = :id")
                .setParameter("id", rollout.id).getSingleResult();
        return max == null ? 0 : max.intValue() + 1;
    }

    /** The result's reason as a deployment records it (deployments also carry reasons of the orchestrator's own). */
    static String reasonOf(CommandResult result) {
        return result.reason() == null ? null : result.reason().name();
    }
}
