package io.wslfleet.agent;

import io.wslfleet.protocol.events.FailureReason;

import java.nio.file.Files;
import java.nio.file.Path;

import io.wslfleet.protocol.events.CommandOutcome;
import io.wslfleet.protocol.events.Health;
import io.wslfleet.protocol.events.UpgradeCommand;

/**
 * Reimport: a checked backup first (nothing is unregistered before it reads as a tar), unregister, install the
 * release fresh; a fresh install that does not verify (or any failure after the unregister) is replaced by the
 * backup again.
 */
final class Reimport {

    private final Wsl wsl;
    private final Installer installer;
    private final HealthProbe health;
    private final AgentState state;

    Reimport(Wsl wsl, Installer installer, HealthProbe health, AgentState state) {
        this.wsl = wsl;
        this.installer = installer;
        this.health = health;
        this.state = state;
    }

    Outcome reimport(UpgradeCommand command, ReleaseFetcher.Verified verified, Path backup, Steps steps) throws Exception {
        String distro = command.distroName();
        state.beginChange(AgentState.InFlight.reimport(command.commandId(), distro,
                verified.systemPath(command.release()), backup));
        steps.step("IMPORTING", "replacing " + distro + " with a fresh " + command.release().version());
        Outcome fresh;
        try {
            wsl.call("--unregister", distro);
            fresh = installer.install(distro, command.release(), verified, steps);
        } catch (WslException e) {
            fresh = Outcome.failed(FailureReasons.of(e), e.getMessage(), null);
        }
        if (fresh.outcome() == CommandOutcome.SUCCEEDED) {
            return fresh;
        }
        Outcome restored = restore(distro, backup, steps);
        return restored.after(fresh.reason(), fresh.message(), fresh.failedGeneration(), fresh.failedUnits(),
                fresh.logTail());
    }

    /** Whatever is registered under the name goes; the backup comes back; probed. */
    Outcome restore(String distro, Path backup, Steps steps) throws Exception {
        steps.step("ROLLING_BACK", "restoring " + distro + " from " + backup.getFileName());
        if (!Files.isRegularFile(backup)) {
            return Outcome.rollbackFailed(FailureReason.BACKUP_MISSING, "the backup " + backup + " is gone", health.probeQuietly(distro));
        }
        if (wsl.distro(distro).isPresent()) {
            wsl.call("--unregister", distro);
        }
        Files.createDirectories(state.distroLocation(distro));
        wsl.call("--import", distro, state.distroLocation(distro).toString(), backup.toString(), "--version", "2");
        Health restored = health.afterStart(distro, null, steps);
        return restored.healthy()
                ? Outcome.rolledBack("restored the backup " + backup.getFileName(), restored)
                : Outcome.rollbackFailed(FailureReason.ROLLBACK_UNHEALTHY, "restored the backup " + backup.getFileName()
                        + " but the system is " + restored.systemState(), restored);
    }
}
