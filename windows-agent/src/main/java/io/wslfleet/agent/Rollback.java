package io.wslfleet.agent;

import io.wslfleet.protocol.events.FailureReason;

import java.time.Duration;

import io.wslfleet.protocol.events.Health;
import io.wslfleet.protocol.events.RollbackCommand;

/**
 * Roll back: repoint the system profile to a generation, terminate, start, probe. Inside the distro when it starts
 * ({@code nix-env --switch-generation}); when it does not, through NixOS-WSL's recovery shell with the profile
 * switch as its command (the shell enters a generation for its session only, it repoints nothing by itself); and
 * when the recovery shell is broken (upstream #1042, "bad interpreter"), by repointing the link from WSL's system
 * distro. Without a target, the generation before the current one, read wherever the distro lets us.
 */
final class Rollback {

    static final String RECOVERY_SHELL = Generations.SYSTEM_ROOT + "/bin/nixos-wsl-recovery";

    private final Wsl wsl;
    private final Generations generations;
    private final HealthProbe health;
    private final Duration timeout;

    Rollback(Wsl wsl, Generations generations, HealthProbe health, Duration timeout) {
        this.wsl = wsl;
        this.generations = generations;
        this.health = health;
        this.timeout = timeout;
    }

    Outcome onCommand(RollbackCommand command, Steps steps) throws Exception {
        String distro = command.distroName();
        if (wsl.distro(distro).isEmpty()) {
            return Outcome.failed(FailureReason.DISTRO_NOT_FOUND, distro + " is not installed", health.probe(distro));
        }
        steps.step("ROLLING_BACK", "rolling back " + distro);
        return to(distro, command.toGeneration(), steps);
    }

    /** How often a rollback is tried when it times out, WSL stopped harder before each new try. */
    static final int ATTEMPTS = 3;

    /**
     * To {@code target}, or the generation before the current one when null. A try that times out (the driver has
     * killed the stuck call's process tree and ended what kept WSL from answering) is tried again, each time after
     * stopping WSL one step harder: {@code wsl --terminate} the distro, then {@code wsl --shutdown --force}; only
     * after {@link #ATTEMPTS} tries does the rollback give up (ROLLBACK_FAILED, WSL_TIMEOUT). Every step of a try
     * is idempotent: switching to the same generation again, {@code switch-to-configuration boot} again.
     */
    Outcome to(String distro, Integer target, Steps steps) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                return attempt(distro, target, steps);
            } catch (WslException e) {
                if (e.kind() != WslException.Kind.TIMEOUT) {
                    throw e;
                }
                if (attempt == ATTEMPTS) {
                    return Outcome.rollbackFailed(FailureReason.WSL_TIMEOUT, "the rollback timed out " + ATTEMPTS
                            + " times, the last: " + e.getMessage(), health.probeQuietly(distro));
                }
                String stopped = stopHarder(distro, attempt);
                steps.step("ROLLING_BACK", "try " + attempt + " of the rollback timed out (" + e.getMessage() + "); "
                        + stopped + "; trying again");
            }
        }
    }

    /** Before try {@code attempt + 1}: the distro terminated, then all of WSL shut down. Says what it did. */
    private String stopHarder(String distro, int attempt) {
        try {
            if (attempt == 1) {
                wsl.call("--terminate", distro);
                return "terminated " + distro;
            }
            wsl.call("--shutdown", "--force");
            return "shut WSL down (wsl --shutdown --force)";
        } catch (WslException e) {
            return "stopping WSL failed too (" + e.getMessage() + ")";
        }
    }

    private Outcome attempt(String distro, Integer target, Steps steps) throws Exception {
        String method;
        Integer to = target;
        try {
            Integer current = generations.current(distro);
            if (to == null) {
                to = Generations.before(generations.all(distro), current).orElse(null);
            }
            if (to == null) {
                return Outcome.rollbackFailed(FailureReason.NO_PREVIOUS_GENERATION, "there is no generation before " + current,
                        health.probe(distro));
            }
            expectOk(wsl.exec(distro, timeout, "nix-env", "-p", Generations.PROFILE, "--switch-generation",
                    String.valueOf(to)), "nix-env --switch-generation " + to);
            String path = wsl.exec(distro, timeout, "readlink", "-f", Generations.PROFILE).stdout().trim();
            expectOk(wsl.exec(distro, timeout, path + "/bin/switch-to-configuration", "boot"),
                    "switch-to-configuration boot");
            method = "inside the distro";
        } catch (WslException e) {
            if (e.kind() != WslException.Kind.DISTRO_WONT_START) {
                throw e;
            }
            if (to == null) {
                Integer current = generations.currentFromSystemDistro(distro);
                to = Generations.before(generations.allFromSystemDistro(distro), current).orElse(null);
                if (to == null) {
                    return Outcome.rollbackFailed(FailureReason.NO_PREVIOUS_GENERATION, distro
                            + " does not start and has no generation before " + current, health.probe(distro));
                }
            }
            method = fromSystemDistro(distro, to);
        }
        wsl.call("--terminate", distro);
        Health after = health.afterStart(distro, null, steps);
        if (after.healthy() && to.equals(after.generation())) {
            return Outcome.rolledBack("rolled back to generation " + to + " (" + method + ")", after);
        }
        return Outcome.rollbackFailed(FailureReason.ROLLBACK_UNHEALTHY, "after rolling back to generation " + to + " (" + method
                + ") the system is " + after.systemState(), after);
    }

    /** The distro does not start: the recovery shell runs the profile switch; if it is broken (#1042), ln -sfn. */
    private String fromSystemDistro(String distro, int to) throws WslException {
        Wsl.Result r = wsl.execSystem(distro, timeout, RECOVERY_SHELL, "--system",
                Generations.PROFILE + "-" + to + "-link", "--",
                "nix-env", "-p", Generations.PROFILE, "--switch-generation", String.valueOf(to));
        if (r.exitCode() == 0) {
            return "through the recovery shell";
        }
        expectOk(wsl.execSystem(distro, timeout, "mount", "-o", "remount,rw", Generations.SYSTEM_ROOT),
                "remount " + Generations.SYSTEM_ROOT + " read-write");
        expectOk(wsl.execSystem(distro, timeout, "ln", "-sfn", "system-" + to + "-link",
                Generations.SYSTEM_ROOT + Generations.PROFILE), "repoint the system profile");
        return "by repointing the profile from the system distro (recovery shell failed: " + r.stderr().trim() + ")";
    }

    static void expectOk(Wsl.Result r, String what) throws CommandFailed {
        if (r.exitCode() != 0) {
            throw new CommandFailed(what, r);
        }
    }

    /** A Linux command the agent needed exited non-zero. */
    static final class CommandFailed extends WslException {
        CommandFailed(String what, Wsl.Result r) {
            super(Kind.OTHER, null, what + " exited " + r.exitCode() + ": " + r.stderr().trim());
        }
    }
}
