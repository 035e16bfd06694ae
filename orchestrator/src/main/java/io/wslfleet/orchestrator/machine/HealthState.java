package io.wslfleet.orchestrator.machine;

import java.util.Locale;

/** The orchestrator's reading of {@code systemctl is-system-running} and friends, as reported by an agent. */
public enum HealthState {
    HEALTHY, DEGRADED, FAILED, ABSENT, UNKNOWN;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The state a {@link #wire()} name stands for. */
    public static HealthState fromWire(String wire) {
        return valueOf(wire.toUpperCase(Locale.ROOT));
    }

    /** Maps the agent's reported system state. */
    public static HealthState fromSystemState(String systemState) {
        if (systemState == null) {
            return UNKNOWN;
        }
        return switch (systemState) {
            case "running" -> HEALTHY;
            case "degraded" -> DEGRADED;
            case "absent" -> ABSENT;
            case "starting", "initializing" -> UNKNOWN;
            default -> FAILED; // maintenance, stopping, offline, unreachable: the distro is not serving its user
        };
    }
}
