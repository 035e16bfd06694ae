package io.wslfleet.protocol.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import java.time.Instant;
import java.util.List;

/**
 * The health of the managed distro as verified on the machine.
 *
 * @param systemState  {@code systemctl is-system-running}: running, degraded, starting, … or {@code absent} (no
 *                     distro), {@code unreachable} (it does not start)
 * @param failedUnits  {@code systemctl --failed}
 * @param generation   the generation the system profile points at
 * @param systemPath   {@code /run/current-system}: what is really running, the truth for the orchestrator
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Health(String distroName, String systemState, List<String> failedUnits, Integer generation,
                     String systemPath, Instant checkedAt) {
    public Health {
        Require.nonBlank(systemState, "health.systemState");
        failedUnits = Require.list(failedUnits);
    }

    public boolean healthy() {
        return "running".equals(systemState);
    }
}
