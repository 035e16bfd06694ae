package io.wslfleet.agent;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.wslfleet.protocol.events.Health;

/**
 * Probe health: {@code systemctl is-system-running --wait}, {@code systemctl --failed}, what
 * {@code /run/current-system} is, and the profile's generation. The first command starts a stopped distro, and its
 * boot activates whatever the profile points at.
 */
final class HealthProbe {

    private final Wsl wsl;
    private final Generations generations;
    private final Duration timeout;
    private final Duration verifyTimeout;
    private final Clock clock;

    HealthProbe(Wsl wsl, Generations generations, Duration timeout, Duration verifyTimeout, Clock clock) {
        this.wsl = wsl;
        this.generations = generations;
        this.timeout = timeout;
        this.verifyTimeout = verifyTimeout;
        this.clock = clock;
    }

    /** After a (re)start: reports the VERIFYING step, then probes. */
    Health afterStart(String distro, String expectedSystemPath, Steps steps) throws WslException {
        steps.step("VERIFYING", expectedSystemPath == null ? "checking health" : "expecting " + expectedSystemPath);
        return probe(distro);
    }

    Health probe(String distro) throws WslException {
        try {
            Wsl.Result running = wsl.exec(distro, verifyTimeout, "systemctl", "is-system-running", "--wait");
            String state = running.stdout().trim();
            if (state.isEmpty()) {
                state = running.exitCode() == 0 ? "running" : "unknown";
            }
            List<String> failed = new ArrayList<>();
            for (String line : wsl.exec(distro, timeout, "systemctl", "--failed", "--plain", "--no-legend")
                    .stdout().split("\n")) {
                if (!line.isBlank()) {
                    failed.add(line.trim().split("\\s+")[0]);
                }
            }
            String current = wsl.exec(distro, timeout, "readlink", "-f", "/run/current-system").stdout().trim();
            return new Health(distro, state, failed, generations.current(distro), current.isEmpty() ? null : current,
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

    /** Health, or null when even asking failed (for a result that is already a failure). */
    Health probeQuietly(String distro) {
        try {
            return probe(distro);
        } catch (Exception e) {
            return null;
        }
    }

    static boolean runs(Health health, String expectedSystemPath) {
        return health.healthy() && expectedSystemPath != null && expectedSystemPath.equals(health.systemPath());
    }
}
