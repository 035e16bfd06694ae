package io.wslfleet.orchestrator.machine;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** A machine as the API shows it. {@code health} is {@code offline} when it has not been heard from recently. */
public record MachineView(String id, String machineId, String windowsUser, String hostname, String windowsBuild,
                          String wslVersion, String kernelVersion, String agentVersion, Long freeDiskBytes,
                          String ring, Map<String, String> labels, String distroName, String distroState,
                          String health, List<String> failedUnits, Integer currentGeneration,
                          String currentSystemPath, String currentReleaseId, Instant lastSeenAt,
                          Instant healthCheckedAt) {

    static MachineView of(Machine m, Instant offlineBefore) {
        String health = m.lastSeenAt.isBefore(offlineBefore) ? "offline" : m.healthState;
        return new MachineView(m.id, m.machineId, m.windowsUser, m.hostname, m.windowsBuild, m.wslVersion,
                m.kernelVersion, m.agentVersion, m.freeDiskBytes, m.ring, MachineRegistry.labels(m), m.distroName,
                m.distroState, health, m.failedUnits == null ? List.of() : List.of(m.failedUnits.split(" ")),
                m.currentGeneration, m.currentSystemPath, m.currentReleaseId, m.lastSeenAt, m.healthCheckedAt);
    }
}
