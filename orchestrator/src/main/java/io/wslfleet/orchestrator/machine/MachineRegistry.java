package io.wslfleet.orchestrator.machine;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import io.wslfleet.orchestrator.FleetConfig;
import io.wslfleet.orchestrator.bus.RejectedEvent;
import io.wslfleet.protocol.RejectReason;
import io.wslfleet.protocol.events.AgentId;
import io.wslfleet.orchestrator.release.ReleaseCatalog;
import io.wslfleet.orchestrator.rollout.RolloutEngine;
import io.wslfleet.protocol.CloudEvent;
import io.wslfleet.protocol.Json;
import io.wslfleet.protocol.events.AgentEvent;
import io.wslfleet.protocol.events.AgentHeartbeat;
import io.wslfleet.protocol.events.AgentRegistered;
import io.wslfleet.protocol.events.CommandProgress;
import io.wslfleet.protocol.events.CommandResult;
import io.wslfleet.protocol.events.DistroInfo;
import io.wslfleet.protocol.events.DistroName;
import io.wslfleet.protocol.events.Health;
import io.wslfleet.protocol.events.Inventory;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Keeps the machine registry from agent events. What a machine reports is the truth: its current generation and
 * release are taken from its reports, whatever a rollout expected. Events are ordered by the agent's (epoch,
 * sequence): one at or below the last applied is stale (re-delivered or overtaken) and changes nothing; an earlier
 * epoch than the machine's is stale whatever its sequence (the state it came from was replaced); a later epoch is a
 * fresh agent state and is taken at any sequence. Within an epoch, a sequence further ahead than
 * {@code fleet.contract.max-sequence-jump} is refused (SEQUENCE_JUMP), so one forged or corrupted event cannot put a
 * machine's order out of its agent's reach.
 */
@ApplicationScoped
public class MachineRegistry {
    private static final Logger LOG = Logger.getLogger(MachineRegistry.class);
    static final String MANAGED_DISTRO = DistroName.NIXOS;

    @Inject
    Clock clock;
    @Inject
    RolloutEngine rollouts;
    @Inject
    FleetConfig config;
    @Inject
    ReleaseCatalog releases;

    /**
     * Locks the machines a batch of events is about, in one statement and in id order (so instances side by side
     * lock in the same order), and keeps them in the persistence context for {@link #apply}.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public void lockAll(List<String> agentIds) {
        Machine.byIds(agentIds.stream().distinct().sorted().toList(), LockModeType.PESSIMISTIC_WRITE);
    }

    @Transactional(Transactional.TxType.MANDATORY)
    public void apply(CloudEvent<? extends AgentEvent> event) {
        AgentEvent data = event.data();
        Instant now = clock.instant();
        Machine machine = Machine.findById(data.agentId(), LockModeType.PESSIMISTIC_WRITE);
        if (machine == null) {
            machine = newMachine(data.agentId(), now);
        } else if (data.epoch() < machine.agentEpoch
                || (data.epoch() == machine.agentEpoch && data.sequence() <= machine.lastSequence)) {
            LOG.debugf("stale event %s from %s: (%d, %d) <= (%d, %d)", event.id(), data.agentId(), data.epoch(),
                    data.sequence(), machine.agentEpoch, machine.lastSequence);
            return;
        } else if (data.epoch() == machine.agentEpoch
                && data.sequence() - machine.lastSequence > config.contract().maxSequenceJump()) {
            throw new RejectedEvent(RejectReason.SEQUENCE_JUMP, "sequence " + data.sequence() + " of " + data.agentId()
                    + " is more than " + config.contract().maxSequenceJump() + " past the last applied, "
                    + machine.lastSequence);
        }
        machine.agentEpoch = data.epoch();
        machine.lastSequence = data.sequence();
        machine.lastSeenAt = now;

        if (data instanceof AgentRegistered registered) {
            applyInventory(machine, registered);
        } else if (data instanceof AgentHeartbeat heartbeat) {
            if (heartbeat.health() != null) {
                applyHealth(machine, heartbeat.health(), now);
            }
        } else if (data instanceof CommandProgress progress) {
            rollouts.onProgress(machine, progress);
        } else if (data instanceof CommandResult result) {
            if (result.health() != null) {
                applyHealth(machine, result.health(), now);
            }
            rollouts.onResult(machine, result);
        }
    }

    private static Machine newMachine(String agentId, Instant now) {
        Machine m = new Machine();
        m.id = agentId;
        m.machineId = AgentId.machineOf(agentId);
        m.windowsUser = AgentId.userOf(agentId);
        m.registeredAt = now;
        m.lastSeenAt = now;
        m.persist();
        return m;
    }

    private void applyInventory(Machine machine, AgentRegistered registered) {
        Inventory inv = registered.inventory();
        machine.agentVersion = registered.agentVersion();
        machine.hostname = inv.hostname();
        machine.windowsBuild = inv.windowsBuild();
        machine.wslVersion = inv.wslVersion();
        machine.kernelVersion = inv.kernelVersion();
        machine.freeDiskBytes = inv.freeDiskBytes();
        Map<String, String> labels = new TreeMap<>(labels(machine));
        labels.putAll(inv.labels()); // the agent's configuration owns the labels it sets
        machine.labels = toJson(labels);
        machine.ring = labels.get("ring");
        machine.inventory = toJson(inv);
        DistroInfo distro = inv.distros().stream().filter(d -> MANAGED_DISTRO.equalsIgnoreCase(d.name())).findFirst()
                .orElse(null);
        if (distro == null) {
            machine.distroName = null;
            machine.distroState = null;
            machine.currentGeneration = null;
            machine.currentSystemPath = null;
            machine.currentReleaseId = null;
            machine.healthState = HealthState.ABSENT.wire();
        } else {
            machine.distroName = distro.name();
            machine.distroState = distro.state();
            machine.currentGeneration = distro.currentGeneration();
            machine.currentSystemPath = distro.currentSystemPath();
            machine.currentReleaseId = releases.idOf(distro.currentSystemPath());
        }
    }

    private void applyHealth(Machine machine, Health health, Instant now) {
        HealthState state = HealthState.fromSystemState(health.systemState());
        String before = healthSignature(machine);
        machine.healthState = state.wire();
        machine.failedUnits = failedUnits(health.failedUnits());
        machine.healthCheckedAt = now;
        if (health.distroName() != null) {
            machine.distroName = health.distroName();
        }
        if (state == HealthState.ABSENT) {
            machine.currentGeneration = null;
            machine.currentSystemPath = null;
            machine.currentReleaseId = null;
        } else if (health.systemPath() != null) {
            machine.currentGeneration = health.generation();
            machine.currentSystemPath = health.systemPath();
            machine.currentReleaseId = releases.idOf(health.systemPath());
        }
        boolean changed = !before.equals(healthSignature(machine));
        boolean due = machine.healthReportedAt == null
                || !now.isBefore(machine.healthReportedAt.plus(config.healthSampleEvery()));
        if (!changed && !due) {
            return;
        }
        HealthReport report = new HealthReport();
        report.machineId = machine.id;
        report.reportedAt = now;
        report.state = state.wire();
        report.generation = machine.currentGeneration;
        report.systemPath = machine.currentSystemPath;
        report.failedUnits = machine.failedUnits;
        report.persist();
        machine.healthReportedAt = now;
    }

    /** At most {@value #KEPT_FAILED_UNITS} unit names are kept; the rest are counted. */
    static final int KEPT_FAILED_UNITS = 20;

    static String failedUnits(List<String> units) {
        if (units.isEmpty()) {
            return null;
        }
        if (units.size() <= KEPT_FAILED_UNITS) {
            return String.join(" ", units);
        }
        return String.join(" ", units.subList(0, KEPT_FAILED_UNITS)) + " (+" + (units.size() - KEPT_FAILED_UNITS)
                + " more)";
    }

    private static String healthSignature(Machine m) {
        return m.healthState + "|" + m.currentGeneration + "|" + m.currentSystemPath + "|" + m.failedUnits;
    }

    public static Map<String, String> labels(Machine machine) {
        try {
            return Json.MAPPER.readValue(machine.labels == null ? "{}" : machine.labels,
                    new TypeReference<LinkedHashMap<String, String>>() {
                    });
        } catch (JsonProcessingException e) {
            return Map.of();
        }
    }

    static String toJson(Object value) {
        try {
            return Json.MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
