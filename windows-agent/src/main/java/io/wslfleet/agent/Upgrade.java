package io.wslfleet.agent;

import io.wslfleet.protocol.events.FailureReason;

import java.nio.file.Path;

import io.wslfleet.protocol.events.BackupCommand;
import io.wslfleet.protocol.events.InstallCommand;
import io.wslfleet.protocol.events.UpgradeCommand;
import io.wslfleet.protocol.events.UpgradeMode;

/** An upgrade command: install when the distro is absent, else fetch, back up when asked, in place or reimport. */
final class Upgrade {

    private final Wsl wsl;
    private final ReleaseFetcher fetcher;
    private final Installer installer;
    private final InPlaceUpgrade inPlace;
    private final Reimport reimport;
    private final Backups backups;
    private final HealthProbe health;

    Upgrade(Wsl wsl, ReleaseFetcher fetcher, Installer installer, InPlaceUpgrade inPlace, Reimport reimport,
            Backups backups, HealthProbe health) {
        this.wsl = wsl;
        this.fetcher = fetcher;
        this.installer = installer;
        this.inPlace = inPlace;
        this.reimport = reimport;
        this.backups = backups;
        this.health = health;
    }

    Outcome upgrade(UpgradeCommand command, Steps steps) throws Exception {
        String distro = command.distroName();
        if (wsl.distro(distro).isEmpty()) {
            return installer.install(new InstallCommand(command.commandId(), command.agentId(), distro,
                    command.release(), command.deadline()), steps);
        }
        ReleaseFetcher.Fetched fetched = fetcher.fetch(command.release(), steps);
        if (fetched instanceof ReleaseFetcher.Refused refused) {
            return refused.outcome();
        }
        ReleaseFetcher.Verified verified = (ReleaseFetcher.Verified) fetched;
        Path backup = null;
        if (command.backupFirst() || command.mode() == UpgradeMode.REIMPORT) {
            steps.step("BACKING_UP", "exporting " + distro);
            try {
                backup = backups.export(distro);
            } catch (Backups.BackupFailed e) {
                return Outcome.failed(FailureReason.BACKUP_FAILED, e.getMessage() + "; nothing changed", health.probeQuietly(distro));
            }
        }
        return command.mode() == UpgradeMode.REIMPORT
                ? reimport.reimport(command, verified, backup, steps)
                : inPlace.upgrade(command, verified, steps);
    }

    Outcome backup(BackupCommand command, Steps steps) throws Exception {
        if (wsl.distro(command.distroName()).isEmpty()) {
            return Outcome.failed(FailureReason.DISTRO_NOT_FOUND, command.distroName() + " is not installed", null);
        }
        steps.step("BACKING_UP", "exporting " + command.distroName());
        try {
            Path file = backups.export(command.distroName());
            return Outcome.succeeded("backup " + file + " (" + java.nio.file.Files.size(file) + " bytes)",
                    health.probe(command.distroName()));
        } catch (Backups.BackupFailed e) {
            return Outcome.failed(FailureReason.BACKUP_FAILED, e.getMessage(), health.probeQuietly(command.distroName()));
        }
    }
}
