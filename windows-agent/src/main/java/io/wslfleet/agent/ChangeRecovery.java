package io.wslfleet.agent;

import io.wslfleet.protocol.events.FailureReason;

import java.nio.file.Path;
import java.time.Duration;

import io.wslfleet.protocol.events.Health;

/**
 * After a restart with a change in flight: the distro must end on the new generation verified, or back on the one
 * before (for a reimport: the fresh install verified, or the backup restored), never in between.
 */
final class ChangeRecovery {

    private final Wsl wsl;
    private final Generations generations;
    private final HealthProbe health;
    private final Rollback rollback;
    private final Reimport reimport;
    private final Duration timeout;

    ChangeRecovery(Wsl wsl, Generations generations, HealthProbe health, Rollback rollback, Reimport reimport,
                   Duration timeout) {
        this.wsl = wsl;
        this.generations = generations;
        this.health = health;
        this.rollback = rollback;
        this.reimport = reimport;
        this.timeout = timeout;
    }

    Outcome recover(AgentState.InFlight change, Steps steps) throws Exception {
        String distro = change.distro();
        if (change.isReimport()) {
            return recoverReimport(change, steps);
        }
        Integer now = generations.currentAnyway(distro);
        boolean moved = now != null && !now.equals(change.previousGeneration());
        if (!moved) {
            steps.step("VERIFYING", "the profile never moved; checking " + distro);
            Health h = health.probe(distro);
            return Outcome.failed(FailureReason.AGENT_RESTARTED,
                    "the agent stopped before the new generation was set; the distro stays on " + h.systemPath(), h);
        }
        try {
            // finish the activation step (idempotent), then boot what the profile points at
            wsl.exec(distro, timeout, change.expectedSystemPath() + "/bin/switch-to-configuration", "boot");
        } catch (WslException e) {
            if (e.kind() != WslException.Kind.DISTRO_WONT_START) {
                throw e;
            }
        }
        steps.step("RESTARTING", "restarting " + distro + " after the agent's restart");
        wsl.call("--terminate", distro);
        Health after = health.afterStart(distro, change.expectedSystemPath(), steps);
        if (HealthProbe.runs(after, change.expectedSystemPath())) {
            return Outcome.succeeded("the agent restarted during the upgrade; generation " + after.generation()
                    + " verified healthy", after);
        }
        steps.step("ROLLING_BACK", "the agent restarted during the upgrade and the system is "
                + after.systemState() + "; rolling back to " + change.previousGeneration());
        return rollback.to(distro, change.previousGeneration(), steps)
                .after(FailureReason.AGENT_RESTARTED, "interrupted upgrade", now, after.failedUnits(), null);
    }

    /**
     * The fresh install counts only once it has the saved {@code /home} (unpacked again: the agent may have stopped
     * before, during or after that) and then verifies; else the backup comes back.
     */
    private Outcome recoverReimport(AgentState.InFlight change, Steps steps) throws Exception {
        String distro = change.distro();
        Path home = change.home() == null ? null : Path.of(change.home());
        if (wsl.distro(distro).isPresent()) {
            try {
                if (home != null) {
                    reimport.restoreHome(distro, home, steps);
                }
                Health now = health.afterStart(distro, change.expectedSystemPath(), steps);
                if (HealthProbe.runs(now, change.expectedSystemPath())) {
                    if (home != null) {
                        java.nio.file.Files.deleteIfExists(home);
                    }
                    return Outcome.succeeded("the agent restarted during the reimport; the fresh install verified"
                            + (home == null ? "" : " with /home carried over"), now);
                }
            } catch (WslException e) {
                steps.step("ROLLING_BACK", "the fresh install is not usable (" + e.getMessage() + ")");
            }
        }
        return reimport.restore(distro, Path.of(change.backup()), steps)
                .after(FailureReason.AGENT_RESTARTED, "interrupted reimport", null, null, null);
    }
}
