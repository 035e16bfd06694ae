package io.wslfleet.orchestrator.machine;

import io.wslfleet.protocol.trust.TrustedKeys;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** A machine as the API shows it. {@code health} is {@code offline} when it has not been heard from recently. */
public record MachineView(String id, String machineId, String windowsUser, String hostname, String windowsBuild,
                          String wslVersion, String kernelVersion, String agentVersion, Long freeDiskBytes,
                          String ring, Map<String, String> labels, String distroName, String distroState,
                          String health, List<String> failedUnits, Integer currentGeneration,
                          String currentSystemPath, String currentReleaseId, Instant lastSeenAt,
                          Instant healthCheckedAt, Enrolment enrolment, String keyId, String offeredKeyId,
                          Instant admittedAt, String admittedBy) {

    static MachineView of(Machine m, Instant offlineBefore) {
        String health = m.lastSeenAt.isBefore(offlineBefore) ? "offline" : m.healthState.wire();
        return new MachineView(m.id, m.machineId, m.windowsUser, m.hostname, m.windowsBuild, m.wslVersion,
                m.kernelVersion, m.agentVersion, m.freeDiskBytes, m.ring, new TreeMap<>(m.labels), m.distroName,
                m.distroState, health, failedUnits(m.failedUnits),
                m.currentGeneration, m.currentSystemPath, m.currentReleaseId, m.lastSeenAt, m.healthCheckedAt,
                m.enrolment, m.keyId, m.offeredPublicKey == null ? null : fingerprint(m.offeredPublicKey), m.admittedAt,
                m.admittedBy);
    }

    /**
     * The failed units as {@link MachineRegistry#failedUnits} stored them: unit names (they have no spaces), and when
     * there were more than it keeps, a last entry "(+N more)".
     */
    static List<String> failedUnits(String stored) {
        if (stored == null || stored.isBlank()) {
            return List.of();
        }
        int more = stored.indexOf(" (+");
        List<String> units = new ArrayList<>(List.of((more < 0 ? stored : stored.substring(0, more)).split(" ")));
        if (more >= 0) {
            units.add(stored.substring(more + 1));
        }
        return List.copyOf(units);
    }

    private static String fingerprint(String publicKey) {
        try {
            return TrustedKeys.fingerprint(publicKey);
        } catch (IllegalArgumentException e) {
            return "unreadable key";
        }
    }
}
