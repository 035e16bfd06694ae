package io.wslfleet.orchestrator.machine;

import io.wslfleet.orchestrator.FleetConfig;
import io.wslfleet.orchestrator.bus.RejectedEvent;
import io.wslfleet.protocol.RejectReason;
import io.wslfleet.protocol.events.AgentId;
import io.wslfleet.orchestrator.release.ReleaseCatalog;
import io.wslfleet.protocol.CloudEvent;
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
import io.wslfleet.orchestrator.audit.AuditLog;
import io.wslfleet.orchestrator.bus.Refusal;
import io.wslfleet.orchestrator.enrolment.EnrolmentToken;
import io.wslfleet.orchestrator.enrolment.EnrolmentTokens;
import io.wslfleet.orchestrator.trust.SecurityRefusals;
import io.wslfleet.protocol.events.CommandRefused;
import io.wslfleet.protocol.release.Ed25519;
import io.wslfleet.protocol.trust.RecordSignatures;
import io.wslfleet.protocol.trust.TrustedKeys;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jboss.logging.Logger;

import java.security.PublicKey;
import java.util.Optional;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps the machine registry from agent events, believing an event only from an admitted machine, signed by its
 * enrolled key, from its own {@code ce_source} (see {@link #apply}); registrations enrol machines (pending, or
 * admitted by an enrolment token). What a machine reports is the truth: its current generation and
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
    MachineCommands rollouts;
    @Inject
    FleetConfig config;
    @Inject
    ReleaseCatalog releases;
    @Inject
    EnrolmentTokens tokens;
    @Inject
    AuditLog audit;
    @Inject
    SecurityRefusals refusals;

    /**
     * Locks the machines a batch of events is about, in one statement and in id order (so instances side by side
     * lock in the same order), and keeps them in the persistence context for {@link #apply}.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public void lockAll(List<String> agentIds) {
        Machine.byIds(agentIds.stream().distinct().sorted().toList(), LockModeType.PESSIMISTIC_WRITE);
    }

    /**
     * Applies one agent event, or refuses it: from another source than its agent's, not signed by the machine's
     * enrolled key, from a machine not admitted, or answering a command not issued to that machine. A refusal changes
     * nothing, except that a registration with a key other than the enrolled one records that key for re-key.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public Optional<Refusal> apply(CloudEvent<? extends AgentEvent> event, ConsumerRecord<String, byte[]> record) {
        AgentEvent data = event.data();
        String expectedSource = AgentSources.of(data.agentId());
        if (!expectedSource.equals(event.source())) {
            return refuse(RejectReason.IDENTITY_MISMATCH, "ce_source " + event.source() + " is not " + expectedSource);
        }
        Instant now = clock.instant();
        Machine machine = Machine.findById(data.agentId(), LockModeType.PESSIMISTIC_WRITE);
        if (data instanceof AgentRegistered registered) {
            return register(machine, registered, record, now);
        }
        if (machine == null || !machine.admitted()) {
            return refuse(RejectReason.NOT_ADMITTED, data.agentId() + " is "
                    + (machine == null ? "not registered" : machine.enrolment) + "; only an admitted machine is heard");
        }
        Optional<Refusal> unsigned = verifyWithEnrolledKey(machine, record);
        if (unsigned.isPresent()) {
            return unsigned;
        }
        String commandId = commandIdOf(data);
        if (commandId != null && !rollouts.issuedTo(machine.id, commandId)) {
            return refuse(RejectReason.NOT_YOUR_COMMAND, "command " + commandId + " was not issued to " + machine.id);
        }
        if (!inOrder(machine, event)) {
            return Optional.empty();
        }
        if (data instanceof AgentHeartbeat heartbeat) {
            if (heartbeat.health() != null) {
                applyHealth(machine, heartbeat.health(), now);
            }
        } else if (data instanceof CommandProgress progress) {
            rollouts.onProgress(progress);
        } else if (data instanceof CommandResult result) {
            if (result.health() != null) {
                applyHealth(machine, result.health(), now);
            }
            rollouts.onResult(result);
        } else if (data instanceof CommandRefused refused) {
            // the agent's word that it refused one of our commands: worth an alarm, never a change to a deployment
            refusals.noteInTransaction(event.source(), "machine", machine.id, "COMMAND_REFUSED_" + refused.reason(),
                    "refused command " + refused.commandId() + " (" + refused.eventType() + "): " + refused.detail());
        }
        return Optional.empty();
    }

    /**
     * A registration, signed with the key it carries: a new machine (or one decommissioned before) starts PENDING, or
     * ACCEPTED at once with a valid enrolment token; a known one must register with its enrolled key, and another key
     * is only recorded, for an operator to re-key.
     */
    private Optional<Refusal> register(Machine machine, AgentRegistered registered, ConsumerRecord<String, byte[]> record,
                                       Instant now) {
        if (registered.publicKey() == null) {
            return refuse(RejectReason.UNAUTHENTICATED, "a registration must carry the agent's public key");
        }
        String keyId;
        try {
            keyId = TrustedKeys.fingerprint(registered.publicKey());
        } catch (IllegalArgumentException e) {
            return refuse(RejectReason.UNAUTHENTICATED, "publicKey is not an Ed25519 public key: " + e.getMessage());
        }
        PublicKey presented = parsedKey(registered.publicKey());
        RecordSignatures.Verification verification = RecordSignatures.verify(record,
                id -> id.equals(keyId) ? Optional.of(presented) : Optional.empty());
        if (verification instanceof RecordSignatures.Verification.Refused refused) {
            return refuse(RejectReason.UNAUTHENTICATED, "the registration is not signed by the key it carries ("
                    + keyId + "): " + refused.detail());
        }
        if (machine == null) {
            machine = newMachine(registered.agentId(), now);
            enrolPending(machine, registered.publicKey(), keyId);
        } else if (machine.enrolment == Enrolment.DECOMMISSIONED) {
            startOver(machine, now);
            enrolPending(machine, registered.publicKey(), keyId);
        } else if (machine.publicKey == null) {
            enrolPending(machine, registered.publicKey(), keyId); // registered before enrolment existed
        } else if (!machine.publicKey.equals(registered.publicKey())) {
            if (!registered.publicKey().equals(machine.offeredPublicKey)) {
                audit.record(AgentSources.of(machine.id), "KEY_OFFERED", "machine", machine.id, machine.keyId,
                        keyId + " (awaits an operator's re-key)");
                machine.offeredPublicKey = registered.publicKey();
            }
            return refuse(RejectReason.UNAUTHENTICATED, "signed with key " + keyId + ", not the enrolled key "
                    + machine.keyId + "; recorded as the offered key, for an operator to re-key");
        }
        if (machine.enrolment == Enrolment.REJECTED || machine.enrolment == Enrolment.REVOKED) {
            return refuse(RejectReason.NOT_ADMITTED, machine.id + " is " + machine.enrolment);
        }
        if (!inOrder(machine, registered)) {
            return Optional.empty();
        }
        if (machine.enrolment == Enrolment.PENDING && registered.enrolmentToken() != null) {
            admitByToken(machine, registered.enrolmentToken(), now);
        }
        applyInventory(machine, registered);
        return Optional.empty();
    }

    private static void enrolPending(Machine machine, String publicKey, String keyId) {
        machine.enrolment = Enrolment.PENDING;
        machine.publicKey = publicKey;
        machine.keyId = keyId;
        machine.offeredPublicKey = null;
    }

    /** A decommissioned machine registering again: a new machine under the same id, with none of the old's trust. */
    private static void startOver(Machine machine, Instant now) {
        machine.labels = Map.of();
        machine.ring = null;
        machine.grantedLabels = null;
        machine.admittedAt = null;
        machine.admittedBy = null;
        machine.agentEpoch = 0;
        machine.lastSequence = 0;
        machine.registeredAt = now;
    }

    private void admitByToken(Machine machine, String token, Instant now) {
        EnrolmentTokens.Redemption redemption = tokens.redeem(token);
        if (redemption instanceof EnrolmentTokens.Redemption.Admitted admitted) {
            EnrolmentToken t = admitted.token();
            machine.enrolment = Enrolment.ACCEPTED;
            machine.admittedAt = now;
            machine.admittedBy = "token:" + t.id;
            machine.grantedLabels = EnrolmentTokens.grantOf(t);
            audit.record(machine.admittedBy, "ENROLMENT_ACCEPTED", "machine", machine.id, Enrolment.PENDING.name(),
                    Enrolment.ACCEPTED + " by enrolment token " + t.id + " (use " + t.uses + " of " + t.maxUses
                            + "), key " + machine.keyId + ", granted " + AuditLog.json(machine.grantedLabels));
        } else if (redemption instanceof EnrolmentTokens.Redemption.Refused refused) {
            LOG.warnf("enrolment token %s of %s refused: %s", refused.tokenId(), machine.id, refused.why());
            refusals.noteInTransaction(AgentSources.of(machine.id), "machine", machine.id, "ENROLMENT_TOKEN_REFUSED",
                    "token " + refused.tokenId() + ": " + refused.why() + "; the machine stays pending");
        }
    }

    private Optional<Refusal> verifyWithEnrolledKey(Machine machine, ConsumerRecord<String, byte[]> record) {
        if (machine.publicKey == null) {
            return refuse(RejectReason.UNAUTHENTICATED, machine.id + " has no enrolled key");
        }
        PublicKey enrolled = parsedKey(machine.publicKey);
        RecordSignatures.Verification verification = RecordSignatures.verify(record,
                id -> id.equals(machine.keyId) ? Optional.of(enrolled) : Optional.empty());
        if (verification instanceof RecordSignatures.Verification.Refused refused) {
            return refuse(RejectReason.UNAUTHENTICATED, "not signed by the enrolled key " + machine.keyId + " of "
                    + machine.id + ": " + refused.detail());
        }
        return Optional.empty();
    }

    /**
     * The enrolled key parsed from its text, once per key rather than once per event (parsing costs about a tenth of
     * a verification). Keyed by the text, so a re-keyed machine's new key is parsed anew; cleared when it holds more
     * than {@value #PARSED_KEYS} keys, which bounds it at a few tens of megabytes.
     */
    private PublicKey parsedKey(String base64) {
        if (parsedKeys.size() >= PARSED_KEYS) {
            parsedKeys.clear();
        }
        return parsedKeys.computeIfAbsent(base64, Ed25519::publicKey);
    }

    static final int PARSED_KEYS = 200_000;
    private final Map<String, PublicKey> parsedKeys = new ConcurrentHashMap<>();

    private static String commandIdOf(AgentEvent data) {
        if (data instanceof CommandProgress p) {
            return p.commandId();
        }
        if (data instanceof CommandResult r) {
            return r.commandId();
        }
        if (data instanceof CommandRefused r) {
            return r.commandId();
        }
        return null;
    }

    /**
     * Whether the event is next in its agent's order, and if so takes its place: an event at or below the last
     * applied is stale and changes nothing; one too far ahead in the same epoch is refused (SEQUENCE_JUMP).
     */
    private boolean inOrder(Machine machine, CloudEvent<? extends AgentEvent> event) {
        return inOrder(machine, event.data());
    }

    private boolean inOrder(Machine machine, AgentEvent data) {
        boolean known = machine.lastSequence > 0 || machine.agentEpoch > 0;
        if (known && (data.epoch() < machine.agentEpoch
                || (data.epoch() == machine.agentEpoch && data.sequence() <= machine.lastSequence))) {
            LOG.debugf("stale event from %s: (%d, %d) <= (%d, %d)", data.agentId(), data.epoch(), data.sequence(),
                    machine.agentEpoch, machine.lastSequence);
            return false;
        }
        if (known && data.epoch() == machine.agentEpoch
                && data.sequence() - machine.lastSequence > config.contract().maxSequenceJump()) {
            throw new RejectedEvent(RejectReason.SEQUENCE_JUMP, "sequence " + data.sequence() + " of " + data.agentId()
                    + " is more than " + config.contract().maxSequenceJump() + " past the last applied, "
                    + machine.lastSequence);
        }
        machine.agentEpoch = data.epoch();
        machine.lastSequence = data.sequence();
        machine.lastSeenAt = clock.instant();
        return true;
    }

    private static Optional<Refusal> refuse(RejectReason reason, String detail) {
        return Optional.of(new Refusal(reason, detail));
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
        Map<String, String> labels = new TreeMap<>(machine.labels);
        labels.putAll(inv.labels()); // the agent's configuration owns the labels it sets
        if (machine.grantedLabels != null) {
            labels.putAll(machine.grantedLabels); // except those its enrolment token granted
        }
        machine.labels = labels;
        machine.ring = labels.get("ring");
        machine.inventory = inv;
        DistroInfo distro = inv.distros().stream().filter(d -> MANAGED_DISTRO.equalsIgnoreCase(d.name())).findFirst()
                .orElse(null);
        if (distro == null) {
            machine.distroName = null;
            machine.distroState = null;
            machine.currentGeneration = null;
            machine.currentSystemPath = null;
            machine.currentReleaseId = null;
            machine.healthState = HealthState.ABSENT;
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
        machine.healthState = state;
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
}
