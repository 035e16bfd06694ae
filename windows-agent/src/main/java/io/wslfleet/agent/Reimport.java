package io.wslfleet.agent;

import io.wslfleet.protocol.events.FailureReason;

import java.nio.file.Files;
import java.nio.file.Path;

import io.wslfleet.protocol.events.CommandOutcome;
import io.wslfleet.protocol.events.Health;
import io.wslfleet.protocol.events.UpgradeCommand;

/**
 * Reimport: a checked backup first (nothing is unregistered before it reads as a tar), then a checked copy of
 * {@code /home}, unregister, install the release fresh with that {@code /home} unpacked into it before it is
 * verified; a fresh install that does not verify (or any failure after the unregister) is replaced by the backup
 * again, which holds the old {@code /home}.
 */
final class Reimport {

    private final Wsl wsl;
    private final Installer installer;
    private final HealthProbe health;
    private final Backups backups;
    private final AgentState state;

    Reimport(Wsl wsl, Installer installer, HealthProbe health, Backups backups, AgentState state) {
        this.wsl = wsl;
        this.installer = installer;
        this.health = health;
        this.backups = backups;
        this.state = state;
    }

    Outcome reimport(UpgradeCommand command, ReleaseFetcher.Verified verified, Path backup, Steps steps) throws Exception {
        String distro = command.distroName();
        steps.step("SAVING_HOME", "saving /home of " + distro);
        Path home;
        try {
            home = backups.exportHome(distro);
        } catch (Backups.BackupFailed e) {
            return Outcome.failed(FailureReason.BACKUP_FAILED, e.getMessage() + "; nothing changed",
                    health.probeQuietly(distro));
        }
        state.beginChange(AgentState.InFlight.reimport(command.commandId(), distro,
                verified.systemPath(command.release()), backup, home));
        steps.step("IMPORTING", "replacing " + distro + " with a fresh " + command.release().version());
        Outcome fresh;
        try {
            wsl.call("--unregister", distro);
            fresh = installer.install(distro, command.release(), verified, steps, d -> restoreHome(d, home, steps));
        } catch (WslException e) {
            fresh = Outcome.failed(FailureReasons.of(e), e.getMessage(), null);
        }
        if (fresh.outcome() == CommandOutcome.SUCCEEDED) {
            Files.deleteIfExists(home);
            return fresh.withMessage(fresh.message() + ", /home carried over");
        }
        Outcome restored = restore(distro, backup, steps);
        if (restored.outcome() == CommandOutcome.ROLLED_BACK) {
            Files.deleteIfExists(home);
        }
        return restored.after(fresh.reason(), fresh.message(), fresh.failedGeneration(), fresh.failedUnits(),
                fresh.logTail());
    }

    /** The saved {@code /home} unpacked into the fresh distro (again, after a restart: unpacking is idempotent). */
    void restoreHome(String distro, Path home, Steps steps) throws WslException {
        steps.step("RESTORING_HOME", "unpacking the saved /home into " + distro);
        backups.importHome(distro, home);
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
