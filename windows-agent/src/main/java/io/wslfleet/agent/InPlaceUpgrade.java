package io.wslfleet.agent;

import io.wslfleet.protocol.events.FailureReason;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;

import io.wslfleet.protocol.events.Health;
import io.wslfleet.protocol.events.UpgradeCommand;

/**
 * Upgrade in place: the release's {@code /nix} unpacked into a temporary root inside the distro, {@code nix copy}
 * into its store, {@code nix-env --set} (the profile moves: from here on the rule is new generation verified or old
 * one restored, whatever fails: a non-zero exit, a timeout, a distro that stopped when idle and whose next boot
 * activated the new generation early), {@code switch-to-configuration boot}, terminate, start, probe.
 * {@code /home} and everything outside the store stay as they are.
 */
final class InPlaceUpgrade {

    static final String TEMP_ROOT = "/var/tmp/wsl-fleet-upgrade";

    private final Wsl wsl;
    private final Generations generations;
    private final HealthProbe health;
    private final Rollback rollback;
    private final AgentState state;
    private final Duration timeout;

    InPlaceUpgrade(Wsl wsl, Generations generations, HealthProbe health, Rollback rollback, AgentState state,
                   Duration timeout) {
        this.wsl = wsl;
        this.generations = generations;
        this.health = health;
        this.rollback = rollback;
        this.state = state;
        this.timeout = timeout;
    }

    Outcome upgrade(UpgradeCommand command, ReleaseFetcher.Verified verified, Steps steps) throws Exception {
        String distro = command.distroName();
        String expected = verified.systemPath(command.release());
        Health before = health.probe(distro);
        if (HealthProbe.runs(before, expected)) {
            return Outcome.succeeded("already running " + command.release().version(), before);
        }
        Integer previous = before.generation() != null ? before.generation() : generations.currentAnyway(distro);
        steps.step("UPGRADING", "copying " + expected + " into " + distro);
        try {
            copyIntoStore(distro, verified, expected);
        } catch (Rollback.CommandFailed e) {
            return Outcome.failed(FailureReasons.ofCopy(e),
                    e.getMessage() + " (distro unchanged)", health.probeQuietly(distro));
        }

        steps.step("ACTIVATING", "making " + expected + " the next boot's generation");
        AgentState.InFlight change = AgentState.InFlight.inPlace(command.commandId(), distro, previous, expected);
        state.beginChange(change);
        Integer newGeneration = null;
        FailureReason failureReason;
        String failure;
        List<String> failedUnits = List.of();
        String tail = null;
        try {
            Rollback.expectOk(wsl.exec(distro, timeout, "nix-env", "-p", Generations.PROFILE, "--set", expected),
                    "nix-env --set");
            newGeneration = generations.current(distro);
            state.beginChange(change.withNewGeneration(newGeneration));
            Rollback.expectOk(wsl.exec(distro, timeout, expected + "/bin/switch-to-configuration", "boot"),
                    "switch-to-configuration boot");
            steps.step("RESTARTING", "restarting " + distro);
            wsl.call("--terminate", distro);
            Health after = health.afterStart(distro, expected, steps);
            if (HealthProbe.runs(after, expected)) {
                Files.deleteIfExists(verified.file());
                return Outcome.succeeded("upgraded to " + command.release().version() + " (generation "
                        + after.generation() + ")", after);
            }
            failureReason = FailureReason.ACTIVATION_FAILED;
            failedUnits = after.failedUnits();
            failure = "%s (" + expected + ") was " + after.systemState()
                    + (failedUnits.isEmpty() ? "" : ", failed units " + failedUnits);
            tail = journalTail(after);
        } catch (WslException e) {
            failureReason = e instanceof Rollback.CommandFailed ? FailureReason.ACTIVATION_FAILED : FailureReasons.of(e);
            failure = "%s (" + expected + "): " + e.getMessage();
        }
        if (newGeneration == null) {
            newGeneration = newGenerationAnyway(distro, previous);
        }
        steps.step("ROLLING_BACK", "generation " + newGeneration + " failed; rolling back to " + previous);
        Outcome back = rollback.to(distro, previous, steps);
        String which = newGeneration == null ? "the new generation, never set," : "generation " + newGeneration;
        return back.after(failureReason, String.format(failure, which), newGeneration, failedUnits, tail);
    }

    private void copyIntoStore(String distro, ReleaseFetcher.Verified verified, String expected) throws WslException {
        String linuxFile = wsl.exec(distro, timeout, "wslpath", "-u", verified.file().toString()).stdout().trim();
        Rollback.expectOk(wsl.exec(distro, timeout, "mkdir", "-p", TEMP_ROOT), "mkdir " + TEMP_ROOT);
        try {
            Rollback.expectOk(wsl.exec(distro, timeout, "tar", "-xzf", linuxFile, "-C", TEMP_ROOT, "./nix"),
                    "tar (unpacking the release)");
            Rollback.expectOk(wsl.exec(distro, timeout, "nix", "copy", "--no-check-sigs", "--from",
                    "local?root=" + TEMP_ROOT, expected), "nix copy " + expected);
        } finally {
            wsl.exec(distro, timeout, "rm", "-rf", TEMP_ROOT);
        }
    }

    /** The generation the profile names now, if it moved past {@code previous}; read even if the distro won't start. */
    private Integer newGenerationAnyway(String distro, Integer previous) {
        try {
            Integer now = generations.currentAnyway(distro);
            return now != null && !now.equals(previous) ? now : null;
        } catch (WslException e) {
            return null;
        }
    }

    static String journalTail(Health health) {
        if (health.failedUnits().isEmpty()) {
            return "systemctl is-system-running: " + health.systemState();
        }
        StringBuilder tail = new StringBuilder();
        for (String unit : health.failedUnits()) {
            tail.append(unit).append(": failed (Result: exit-code)\n");
        }
        return tail.toString();
    }
}
