package io.wslfleet.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.wslfleet.protocol.events.BackupCommand;
import io.wslfleet.protocol.events.CommandOutcome;
import io.wslfleet.protocol.events.DistroInfo;
import io.wslfleet.protocol.events.GenerationInfo;
import io.wslfleet.protocol.events.Health;
import io.wslfleet.protocol.events.InstallCommand;
import io.wslfleet.protocol.events.Inventory;
import io.wslfleet.protocol.events.ReleaseRef;
import io.wslfleet.protocol.events.RollbackCommand;
import io.wslfleet.protocol.events.UpgradeCommand;
import io.wslfleet.protocol.events.UpgradeMode;
import io.wslfleet.protocol.release.ManifestVerifier;
import io.wslfleet.protocol.release.ReleaseManifest;
import io.wslfleet.protocol.release.UntrustedReleaseException;

/**
 * What the agent does to the NixOS distro, through {@link WslDriver} only. Each operation returns an {@link Outcome}
 * (the result's outcome, reason, message and verified health) and reports its steps through {@link Steps}.
 */
final class DistroOps {

    static final String PROFILE = "/nix/var/nix/profiles/system";
    private static final Pattern LINK = Pattern.compile("system-(\\d+)-link");

    interface Steps {
        void step(String step, long done, long total, String message);
    }

    record Outcome(CommandOutcome outcome, String reason, String message, Health health, Integer failedGeneration,
                   List<String> failedUnits, String logTail) {
        static Outcome of(CommandOutcome outcome, String reason, String message, Health health) {
            return new Outcome(outcome, reason, message, health, null, health == null ? List.of() : health.failedUnits(), null);
        }
    }

    private final AgentConfig config;
    private final WslDriver wsl;
    private final AgentState state;
    private final ManifestVerifier verifier;
    private final Downloader downloader = new Downloader();
    private final Clock clock;

    DistroOps(AgentConfig config, WslDriver wsl, AgentState state, Clock clock) {
        this.config = config;
        this.wsl = wsl;
        this.state = state;
        this.verifier = ManifestVerifier.parse(config.trustedKeys());
        this.clock = clock;
    }

    // ---- install ------------------------------------------------------------------------------------------------

    Outcome install(InstallCommand command, Steps steps) throws Exception {
        String distro = command.distroName();
        ReleaseRef release = command.release();
        Optional<Verified> verified = fetchAndVerify(release, steps);
        if (verified.isEmpty()) {
            return lastRefusal;
        }
        if (wsl.distro(distro).isPresent()) {
            return Outcome.of(CommandOutcome.REFUSED, "NAME_TAKEN",
                    "a distro named " + distro + " is already installed; upgrade it instead", health(distro));
        }
        long free = Files.getFileStore(state.staging()).getUsableSpace();
        long needed = verified.get().manifest().nixos() == null ? release.size() * 4
                : verified.get().manifest().nixos().uncompressedSize() + release.size();
        if (free < needed) {
            return Outcome.of(CommandOutcome.REFUSED, "DISK_FULL",
                    "needs " + needed + " bytes free, " + free + " available", null);
        }
        steps.step("INSTALLING", 0, 0, "installing " + release.version() + " as " + distro);
        Path location = state.distroLocation(distro);
        Files.createDirectories(location);
        try {
            if (supportsInstallFromFile()) {
                wsl.call("--install", "--from-file", verified.get().file().toString(), "--name", distro,
                        "--location", location.toString(), "--no-launch");
            } else {
                wsl.call("--import", distro, location.toString(), verified.get().file().toString(), "--version", "2");
            }
        } catch (WslException e) {
            String reason = switch (e.kind()) {
                case NAME_EXISTS -> "NAME_TAKEN";
                case IMPORT_FAILED -> "IMPORT_FAILED";
                case DISK_FULL -> "DISK_FULL";
                case TIMEOUT -> "WSL_TIMEOUT";
                default -> "WSL_ERROR";
            };
            return Outcome.of(CommandOutcome.FAILED, reason, e.getMessage() + " (" + e.errorCode() + ")", null);
        }
        String expected = verified.get().manifest().nixos() == null ? release.systemPath()
                : verified.get().manifest().nixos().systemPath();
        steps.step("STARTING", 0, 0, "first start of " + distro);
        Health health = verify(distro, expected, steps);
        if (health.healthy() && expected != null && expected.equals(health.systemPath())) {
            Files.deleteIfExists(verified.get().file());
            return Outcome.of(CommandOutcome.SUCCEEDED, null, "installed " + release.version(), health);
        }
        return new Outcome(CommandOutcome.FAILED, "ACTIVATION_FAILED",
                "installed, but the system is " + health.systemState() + " on " + health.systemPath()
                        + " (expected running on " + expected + ")", health, health.generation(), health.failedUnits(),
                null);
    }

    // ---- upgrade ------------------------------------------------------------------------------------------------

    static final String TEMP_ROOT = "/var/tmp/wsl-fleet-upgrade";

    /**
     * In place (default): the release's system becomes a new generation of the existing distro, {@code /home} and
     * everything else untouched; when the new generation does not verify, the agent rolls back to the previous one by
     * itself. Reimport: export a backup (when asked), unregister, install fresh; a fresh install that does not verify
     * is replaced by the backup again.
     */
    Outcome upgrade(UpgradeCommand command, Steps steps) throws Exception {
        String distro = command.distroName();
        if (wsl.distro(distro).isEmpty()) {
            return install(new InstallCommand(command.commandId(), command.agentId(), distro, command.release(),
                    command.deadline()), steps);
        }
        Optional<Verified> verified = fetchAndVerify(command.release(), steps);
        if (verified.isEmpty()) {
            return lastRefusal;
        }
        String expected = verified.get().manifest().nixos().systemPath();
        Path backup = null;
        if (command.backupFirst() || command.mode() == UpgradeMode.REIMPORT) {
            steps.step("BACKING_UP", 0, 0, "exporting " + distro);
            backup = export(distro);
        }
        if (command.mode() == UpgradeMode.REIMPORT) {
            return reimport(command, verified.get(), backup, steps);
        }
        Health before = health(distro);
        if (expected.equals(before.systemPath()) && before.healthy()) {
            return Outcome.of(CommandOutcome.SUCCEEDED, null, "already running " + command.release().version(), before);
        }
        Integer previous = before.generation();
        steps.step("UPGRADING", 0, 0, "copying " + expected + " into " + distro);
        String linuxFile = wsl.exec(distro, config.wslTimeout(), "wslpath", "-u", verified.get().file().toString())
                .stdout().trim();
        expectOk(wsl.exec(distro, config.wslTimeout(), "mkdir", "-p", TEMP_ROOT), "mkdir " + TEMP_ROOT);
        try {
            WslDriver.Result untar = wsl.exec(distro, config.wslTimeout(), "tar", "-xzf", linuxFile, "-C", TEMP_ROOT, "./nix");
            if (untar.exitCode() != 0) {
                return Outcome.of(CommandOutcome.FAILED, untar.stderr().contains("No space") ? "DISK_FULL" : "COPY_FAILED",
                        "unpacking the release failed: " + untar.stderr().trim() + " (distro unchanged)", health(distro));
            }
            expectOk(wsl.exec(distro, config.wslTimeout(), "nix", "copy", "--no-check-sigs", "--from",
                    "local?root=" + TEMP_ROOT, expected), "nix copy " + expected);
        } finally {
            wsl.exec(distro, config.wslTimeout(), "rm", "-rf", TEMP_ROOT);
        }
        steps.step("ACTIVATING", 0, 0, "making " + expected + " the next boot's generation");
        state.beginChange(new AgentState.InFlight(command.commandId(), distro, previous, expected));
        expectOk(wsl.exec(distro, config.wslTimeout(), "nix-env", "-p", PROFILE, "--set", expected), "nix-env --set");
        expectOk(wsl.exec(distro, config.wslTimeout(), expected + "/bin/switch-to-configuration", "boot"),
                "switch-to-configuration boot");
        steps.step("RESTARTING", 0, 0, "restarting " + distro);
        wsl.call("--terminate", distro);
        Health after = verify(distro, expected, steps);
        if (after.healthy() && expected.equals(after.systemPath())) {
            Files.deleteIfExists(verified.get().file());
            return Outcome.of(CommandOutcome.SUCCEEDED, null, "upgraded to " + command.release().version()
                    + " (generation " + after.generation() + ")", after);
        }
        // automatic rollback: the new generation did not come up healthy
        Integer failedGeneration = after.generation() != null ? after.generation() : newestGeneration(distro, previous);
        steps.step("ROLLING_BACK", 0, 0, "generation " + failedGeneration + " is " + after.systemState()
                + "; rolling back to " + previous);
        Outcome back = rollBackTo(distro, previous, steps, failedGeneration, after.failedUnits());
        String failure = "generation " + failedGeneration + " (" + expected + ") was " + after.systemState()
                + (after.failedUnits().isEmpty() ? "" : ", failed units " + after.failedUnits());
        return new Outcome(back.outcome(), "ACTIVATION_FAILED", failure + "; " + back.message(), back.health(),
                failedGeneration, after.failedUnits(), journalTail(after));
    }

    /**
     * After a restart with a change in flight: the distro must end on the new generation, verified, or back on the
     * one before, never in between. Returns the outcome to store for the interrupted command.
     */
    Outcome recover(AgentState.InFlight change, Steps steps) throws Exception {
        String distro = change.distro();
        String profile;
        try {
            profile = wsl.exec(distro, config.wslTimeout(), "readlink", "-f", PROFILE).stdout().trim();
            if (profile.equals(change.expectedSystemPath())) {
                // the profile was repointed: finish the activation step (idempotent) and boot what it points at
                wsl.exec(distro, config.wslTimeout(), change.expectedSystemPath() + "/bin/switch-to-configuration", "boot");
            }
        } catch (WslException e) {
            if (e.kind() != WslException.Kind.DISTRO_WONT_START) {
                throw e;
            }
            profile = change.expectedSystemPath(); // it does not start: only the new generation can be the cause
        }
        steps.step("RESTARTING", 0, 0, "restarting " + distro + " after the agent's restart");
        wsl.call("--terminate", distro);
        Health health = verify(distro, change.expectedSystemPath(), steps);
        if (!profile.equals(change.expectedSystemPath())) {
            return Outcome.of(health.healthy() ? CommandOutcome.FAILED : CommandOutcome.ROLLBACK_FAILED, "AGENT_RESTARTED",
                    "the agent stopped before the new generation was set; the distro stays on " + health.systemPath(),
                    health);
        }
        if (health.healthy() && change.expectedSystemPath().equals(health.systemPath())) {
            return Outcome.of(CommandOutcome.SUCCEEDED, null, "the agent restarted during the upgrade; generation "
                    + health.generation() + " verified healthy", health);
        }
        steps.step("ROLLING_BACK", 0, 0, "the agent restarted during the upgrade and the system is "
                + health.systemState() + "; rolling back to " + change.previousGeneration());
        Outcome back = rollBackTo(change.distro(), change.previousGeneration(), steps, health.generation(),
                health.failedUnits());
        return new Outcome(back.outcome(), "AGENT_RESTARTED", "interrupted upgrade: " + back.message(), back.health(),
                back.failedGeneration(), back.failedUnits(), back.logTail());
    }

    private Integer newestGeneration(String distro, Integer fallback) {
        try {
            List<Integer> gens = generationsInside(distro);
            return gens.isEmpty() ? fallback : gens.get(gens.size() - 1);
        } catch (WslException e) {
            return fallback == null ? null : fallback + 1;
        }
    }

    private String journalTail(Health health) {
        if (health.failedUnits().isEmpty()) {
            return "systemctl is-system-running: " + health.systemState();
        }
        StringBuilder tail = new StringBuilder();
        for (String unit : health.failedUnits()) {
            tail.append(unit).append(": failed (Result: exit-code)\n");
        }
        return tail.toString();
    }

    private Outcome reimport(UpgradeCommand command, Verified verified, Path backup, Steps steps) throws Exception {
        String distro = command.distroName();
        steps.step("IMPORTING", 0, 0, "replacing " + distro + " with a fresh " + command.release().version());
        wsl.call("--unregister", distro);
        Outcome fresh = install(new InstallCommand(command.commandId(), command.agentId(), distro, command.release(),
                command.deadline()), steps);
        if (fresh.outcome() == CommandOutcome.SUCCEEDED || backup == null) {
            return fresh;
        }
        steps.step("ROLLING_BACK", 0, 0, "restoring " + distro + " from " + backup);
        try {
            wsl.call("--unregister", distro);
        } catch (WslException e) {
            if (e.kind() != WslException.Kind.DISTRO_NOT_FOUND) {
                throw e;
            }
        }
        wsl.call("--import", distro, state.distroLocation(distro).toString(), backup.toString(), "--version", "2");
        Health restored = verify(distro, null, steps);
        return new Outcome(restored.healthy() ? CommandOutcome.ROLLED_BACK : CommandOutcome.ROLLBACK_FAILED,
                fresh.reason(), fresh.message() + "; restored the backup " + backup.getFileName(), restored,
                fresh.failedGeneration(), fresh.failedUnits(), fresh.logTail());
    }

    /** {@code wsl --terminate} then {@code wsl --export ... --format tar.gz} into the agent's backups folder. */
    Path export(String distro) throws Exception {
        Path dir = state.staging().resolveSibling("backups");
        Files.createDirectories(dir);
        Path file = dir.resolve(distro + "-" + clock.instant().toString().replace(':', '-') + ".tar.gz");
        wsl.call("--terminate", distro);
        wsl.call(config.wslTimeout().multipliedBy(5), "--export", distro, file.toString(), "--format", "tar.gz");
        return file;
    }

    Outcome backup(BackupCommand command, Steps steps) throws Exception {
        if (wsl.distro(command.distroName()).isEmpty()) {
            return Outcome.of(CommandOutcome.FAILED, "DISTRO_NOT_FOUND", command.distroName() + " is not installed", null);
        }
        steps.step("BACKING_UP", 0, 0, "exporting " + command.distroName());
        Path file = export(command.distroName());
        return Outcome.of(CommandOutcome.SUCCEEDED, null, "backup " + file + " (" + Files.size(file) + " bytes)",
                health(command.distroName()));
    }

    private record Verified(Path file, ReleaseManifest manifest) {
    }

    private Outcome lastRefusal;

    /** Downloads and checks signature, size and sha256 before anything else; a refusal is kept in lastRefusal. */
    private Optional<Verified> fetchAndVerify(ReleaseRef release, Steps steps) throws Exception {
        ReleaseManifest manifest;
        try {
            manifest = verifier.verify(release.manifest(), release.signature(), release.keyId());
            if (!manifest.sha256().equalsIgnoreCase(release.sha256()) || manifest.size() != release.size()) {
                throw new UntrustedReleaseException(UntrustedReleaseException.Reason.CHECKSUM_MISMATCH,
                        "the command's sha256/size differ from the signed manifest's");
            }
        } catch (UntrustedReleaseException e) {
            lastRefusal = Outcome.of(CommandOutcome.REFUSED, e.reason().name(), e.getMessage(), null);
            return Optional.empty();
        }
        steps.step("DOWNLOADING", 0, release.size(), "downloading " + release.downloadUrl());
        Path file = downloader.fetch(release.downloadUrl(), release.sha256(), release.size(), state.staging(),
                (done, total) -> steps.step("DOWNLOADING", done, total, null));
        steps.step("VERIFYING_ARTIFACT", release.size(), release.size(), "checking sha256 and size");
        try {
            ManifestVerifier.checkArtifact(manifest, Downloader.sha256(file), Files.size(file));
        } catch (UntrustedReleaseException e) {
            Files.deleteIfExists(file);
            lastRefusal = Outcome.of(CommandOutcome.REFUSED, e.reason().name(), e.getMessage(), null);
            return Optional.empty();
        }
        return Optional.of(new Verified(file, manifest));
    }

    private boolean supportsInstallFromFile() throws WslException {
        return wsl.wslVersion().map(DistroOps::atLeast244).orElse(false);
    }

    static boolean atLeast244(String version) {
        String[] p = version.split("\\.");
        int[] v = new int[3];
        for (int i = 0; i < 3 && i < p.length; i++) {
            v[i] = Integer.parseInt(p[i].replaceAll("\\D.*", ""));
        }
        return v[0] > 2 || (v[0] == 2 && (v[1] > 4 || (v[1] == 4 && v[2] >= 4)));
    }

    // ---- rollback -----------------------------------------------------------------------------------------------

    /** Rolls the distro back to the named generation or the one before the current, then restarts and verifies. */
    Outcome rollback(RollbackCommand command, Steps steps) throws Exception {
        String distro = command.distroName();
        if (wsl.distro(distro).isEmpty()) {
            return Outcome.of(CommandOutcome.FAILED, "DISTRO_NOT_FOUND", distro + " is not installed", health(distro));
        }
        steps.step("ROLLING_BACK", 0, 0, "rolling back " + distro);
        return rollBackTo(distro, command.toGeneration(), steps, null, List.of());
    }

    Outcome rollBackTo(String distro, Integer target, Steps steps, Integer failedGeneration, List<String> failedUnits)
            throws Exception {
        String method;
        Integer to = target;
        try {
            List<Integer> gens = generationsInside(distro);
            Integer current = currentGeneration(distro);
            if (to == null) {
                to = gens.stream().filter(g -> current == null || g < current).reduce((a, b) -> b).orElse(null);
            }
            if (to == null) {
                return new Outcome(CommandOutcome.ROLLBACK_FAILED, "NO_PREVIOUS_GENERATION",
                        "there is no generation before " + current, health(distro), failedGeneration, failedUnits, null);
            }
            expectOk(wsl.exec(distro, config.wslTimeout(), "nix-env", "-p", PROFILE, "--switch-generation",
                    String.valueOf(to)), "nix-env --switch-generation " + to);
            String path = wsl.exec(distro, config.wslTimeout(), "readlink", "-f", PROFILE).stdout().trim();
            expectOk(wsl.exec(distro, config.wslTimeout(), path + "/bin/switch-to-configuration", "boot"),
                    "switch-to-configuration boot");
            method = "inside the distro";
        } catch (WslException e) {
            if (e.kind() != WslException.Kind.DISTRO_WONT_START) {
                throw e;
            }
            method = recover(distro, to);
        }
        wsl.call("--terminate", distro);
        Health health = verify(distro, null, steps);
        String expectedLink = to == null ? null : "system-" + to + "-link";
        boolean onTarget = to == null || to.equals(health.generation());
        if (health.healthy() && onTarget) {
            return new Outcome(CommandOutcome.ROLLED_BACK, null, "rolled back to generation " + to + " (" + method + ")",
                    health, failedGeneration, failedUnits, null);
        }
        return new Outcome(CommandOutcome.ROLLBACK_FAILED, "ROLLBACK_UNHEALTHY",
                "after rolling back to " + expectedLink + " (" + method + ") the system is " + health.systemState(),
                health, failedGeneration, failedUnits, null);
    }

    /** The distro does not start: the recovery shell, and when that is broken (#1042), repoint the link directly. */
    private String recover(String distro, Integer to) throws Exception {
        if (to == null) {
            throw new WslException(WslException.Kind.DISTRO_WONT_START, null,
                    "the distro does not start and no target generation is known");
        }
        String link = PROFILE + "-" + to + "-link";
        WslDriver.Result r = wsl.execSystem(distro, config.wslTimeout(), "/mnt/wslg/distro/bin/nixos-wsl-recovery",
                "--system", link, "--", "true");
        if (r.exitCode() == 0) {
            return "through the recovery shell";
        }
        // upstream #1042: the recovery shell's interpreter is missing; fix the profile link from the system distro
        expectOk(wsl.execSystem(distro, config.wslTimeout(), "mount", "-o", "remount,rw", "/mnt/wslg/distro"),
                "remount /mnt/wslg/distro read-write");
        expectOk(wsl.execSystem(distro, config.wslTimeout(), "ln", "-sfn", "system-" + to + "-link",
                "/mnt/wslg/distro" + PROFILE), "repoint the system profile");
        return "by repointing the profile from the system distro (recovery shell failed: " + r.stderr().trim() + ")";
    }

    private List<Integer> generationsInside(String distro) throws WslException {
        List<Integer> gens = new ArrayList<>();
        for (String line : wsl.exec(distro, config.wslTimeout(), "nix-env", "-p", PROFILE, "--list-generations")
                .stdout().split("\n")) {
            String t = line.trim();
            if (!t.isEmpty() && Character.isDigit(t.charAt(0))) {
                gens.add(Integer.parseInt(t.split("\\s+")[0]));
            }
        }
        gens.sort(Integer::compare);
        return gens;
    }

    private Integer currentGeneration(String distro) throws WslException {
        String link = wsl.exec(distro, config.wslTimeout(), "readlink", PROFILE).stdout().trim();
        Matcher m = LINK.matcher(link.substring(link.lastIndexOf('/') + 1));
        return m.matches() ? Integer.valueOf(m.group(1)) : null;
    }

    private static void expectOk(WslDriver.Result r, String what) throws WslException {
        if (r.exitCode() != 0) {
            throw new WslException(WslException.Kind.OTHER, null, what + " exited " + r.exitCode() + ": " + r.stderr().trim());
        }
    }

    // ---- verify and health --------------------------------------------------------------------------------------

    /** After a start: is-system-running within the deadline, failed units, what really runs. */
    Health verify(String distro, String expectedSystemPath, Steps steps) throws WslException {
        steps.step("VERIFYING", 0, 0, expectedSystemPath == null ? "checking health" : "expecting " + expectedSystemPath);
        return health(distro);
    }

    Health health(String distro) throws WslException {
        try {
            WslDriver.Result running = wsl.exec(distro, config.verifyTimeout(), "systemctl", "is-system-running", "--wait");
            String state = running.stdout().trim();
            if (state.isEmpty()) {
                state = running.exitCode() == 0 ? "running" : "unknown";
            }
            List<String> failed = new ArrayList<>();
            for (String line : wsl.exec(distro, config.wslTimeout(), "systemctl", "--failed", "--plain", "--no-legend")
                    .stdout().split("\n")) {
                if (!line.isBlank()) {
                    failed.add(line.trim().split("\\s+")[0]);
                }
            }
            String current = wsl.exec(distro, config.wslTimeout(), "readlink", "-f", "/run/current-system").stdout().trim();
            return new Health(distro, state, failed, currentGeneration(distro), current.isEmpty() ? null : current,
                    clock.instant());
        } catch (WslException e) {
            if (e.kind() == WslException.Kind.DISTRO_NOT_FOUND) {
                return new Health(distro, "absent", List.of(), null, null, clock.instant());
            }
            if (e.kind() == WslException.Kind.DISTRO_WONT_START) {
                return new Health(distro, "unreachable", List.of(), null, null, clock.instant());
            }
            throw e;
        }
    }

    Inventory inventory() throws WslException {
        String wslVersion = wsl.wslVersion().orElse("inbox");
        List<DistroInfo> distros = new ArrayList<>();
        for (WslDriver.Distro d : wsl.distros()) {
            Integer generation = null;
            String systemPath = null;
            List<GenerationInfo> generations = new ArrayList<>();
            String nixosVersion = null;
            if (d.name().equalsIgnoreCase(config.distroName())) {
                try {
                    systemPath = wsl.exec(d.name(), config.wslTimeout(), "readlink", "-f", PROFILE).stdout().trim();
                    generation = currentGeneration(d.name());
                    for (Integer g : generationsInside(d.name())) {
                        generations.add(new GenerationInfo(g, wsl.exec(d.name(), config.wslTimeout(), "readlink", "-f",
                                PROFILE + "-" + g + "-link").stdout().trim()));
                    }
                    Matcher m = Pattern.compile("nixos-system-.+?-(\\d+\\.\\d+\\S*)$").matcher(systemPath);
                    nixosVersion = m.find() ? m.group(1) : null;
                } catch (WslException e) {
                    if (e.kind() != WslException.Kind.DISTRO_WONT_START) {
                        throw e;
                    }
                }
            }
            distros.add(new DistroInfo(d.name(), d.state(), d.version(), d.isDefault(), generation,
                    systemPath == null || systemPath.isEmpty() ? null : systemPath, nixosVersion, null, generations));
        }
        long free;
        try {
            free = Files.getFileStore(state.staging()).getUsableSpace();
        } catch (IOException e) {
            free = -1;
        }
        return new Inventory(config.machineId(), config.windowsUser(), config.machineId(), windowsBuild(), wslVersion,
                wsl.kernelVersion().orElse(null), free, Map.copyOf(config.labels()), distros);
    }

    private String windowsBuild() {
        try {
            Matcher m = Pattern.compile("(?m)^Windows[^:\\n]*:\\s*(\\S+)").matcher(wsl.call("--version").stdout());
            return m.find() ? m.group(1) : null;
        } catch (WslException e) {
            return null;
        }
    }
}
