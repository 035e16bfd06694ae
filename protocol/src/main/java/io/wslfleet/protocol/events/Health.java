package io.wslfleet.protocol.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import java.time.Instant;
import java.util.List;

/**
 * The health of the managed distro as verified on the machine.
 *
 * @param systemState  {@code systemctl is-system-running}: running, degraded, starting, … or {@code absent} (no
 *                     distro), {@code unreachable} (it does not start)
 * @param failedUnits  {@code systemctl --failed}: at most 1,000 unit names of at most 256 characters each (systemd's
 *                     own limit for a unit name)
 * @param generation   the generation the system profile points at
 * @param systemPath   {@code /run/current-system}: what is really running, the truth for the orchestrator
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Health(String distroName, String systemState, List<String> failedUnits, Integer generation,
                     String systemPath, Instant checkedAt) {
    public Health {
        if (distroName != null) {
            DistroName.check(distroName, "health.distroName");
        }
        Require.nonBlank(systemState, "health.systemState");
        Require.name(systemState, "health.systemState", 32);
        failedUnits = units(failedUnits, "health.failedUnits");
        if (generation != null && generation < 0) {
            throw new IllegalArgumentException("health.generation must not be negative, was " + generation);
        }
        StorePath.check(systemPath, "health.systemPath");
    }

    public boolean healthy() {
        return "running".equals(systemState);
    }

    static List<String> units(List<String> units, String field) {
        return Require.names(units, field, Require.MAX_LIST, Require.MAX_NAME);
    }
}
