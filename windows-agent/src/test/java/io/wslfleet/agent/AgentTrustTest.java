package io.wslfleet.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

import io.wslfleet.protocol.CloudEvent;
import io.wslfleet.protocol.CloudEventHeaders;
import io.wslfleet.protocol.EventCodec;
import io.wslfleet.protocol.EventType;
import io.wslfleet.protocol.RejectReason;
import io.wslfleet.protocol.Topics;
import io.wslfleet.protocol.events.AgentHeartbeat;
import io.wslfleet.protocol.events.AgentRegistered;
import io.wslfleet.protocol.events.FailureReason;
import io.wslfleet.protocol.events.CommandProgress;
import io.wslfleet.protocol.events.CommandRefused;
import io.wslfleet.protocol.events.CommandResult;
import io.wslfleet.protocol.events.HealthCheckCommand;
import io.wslfleet.protocol.events.InstallCommand;
import io.wslfleet.protocol.release.Ed25519;
import io.wslfleet.protocol.trust.RecordSignatures;
import io.wslfleet.protocol.trust.Signer;
import io.wslfleet.protocol.trust.TrustedKeys;
import io.wslfleet.wslstandin.WslStandIn;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Commands as an attacker with the agents' shared Kafka credentials would forge them, with a raw producer, against a
 * real agent and the stand-in wsl.exe: each is dead-lettered with its reason, refused in a {@code CommandRefused}
 * event, and runs nothing (the stand-in's call log does not change). Genuinely signed commands work, with either of
 * two trusted orchestrator keys.
 */
class AgentTrustTest extends AgentTestSupport {

    static Path wslState;
    static String id;

    @BeforeAll
    static void startTheAgent() throws Exception {
        wslState = tmp.resolve("ws-t-wsl");
        id = agent("ws-t", wslState).config().agentId();
        await(AgentRegistered.class, r -> r.agentId().equals(id));
    }

    private static InstallCommand install(String commandId, String agentId) {
        return new InstallCommand(commandId, agentId, "NixOS", release, Instant.now().plusSeconds(300));
    }

    private static ProducerRecord<String, byte[]> unsigned(InstallCommand command) {
        return EventCodec.toRecord(CloudEvent.of("urn:wsl-fleet:orchestrator", command));
    }

    /** The same key, headers and value under another record key: what re-addressing a record amounts to. */
    private static ProducerRecord<String, byte[]> rekeyed(ProducerRecord<String, byte[]> record, String key) {
        return new ProducerRecord<>(record.topic(), null, null, key, record.value(), record.headers());
    }

    private static String header(org.apache.kafka.common.header.Headers headers, String name) {
        var h = headers.lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static String calls() throws Exception {
        Path log = wslState.resolve(WslStandIn.CALLS);
        return Files.exists(log) ? Files.readString(log) : "";
    }

    private static ConsumerRecord<String, byte[]> awaitRecord(Predicate<ConsumerRecord<String, byte[]>> match) {
        long until = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < until) {
            Optional<ConsumerRecord<String, byte[]>> hit = seen.stream().filter(match).findFirst();
            if (hit.isPresent()) {
                return hit.get();
            }
            consumer.poll(Duration.ofMillis(200)).forEach(seen::add);
        }
        throw new AssertionError("no matching record; seen " + seen.size());
    }

    /**
     * Sends a genuine command and waits for its result and the registration the agent sends after a command: its
     * wsl.exe calls (the inventory) are over then, so the next test's call log starts quiet.
     */
    private static CommandResult ran(HealthCheckCommand command) throws Exception {
        send(command);
        CommandResult result = await(CommandResult.class, r -> r.commandId().equals(command.commandId()));
        await(AgentRegistered.class, r -> r.agentId().equals(command.agentId()) && r.sequence() > result.sequence());
        return result;
    }

    /** Sends the forged record and checks that it was set aside, refused for {@code reason}, and ran nothing. */
    private static CommandRefused assertRefused(ProducerRecord<String, byte[]> forged, String commandId,
                                                RejectReason reason) throws Exception {
        String callsBefore = calls();
        int progressBefore = events(CommandProgress.class, p -> p.commandId().equals(commandId)).size();
        int resultsBefore = events(CommandResult.class, r -> r.commandId().equals(commandId)).size();
        sendRecord(forged);
        CommandRefused refused = await(CommandRefused.class, r -> r.agentId().equals(id)
                && commandId.equals(r.commandId()));
        assertThat(refused.reason()).as(refused.detail()).isEqualTo(reason);
        assertThat(refused.eventType()).isEqualTo(EventType.INSTALL_COMMAND.ceType());

        String eventId = header(forged.headers(), CloudEventHeaders.ID);
        ConsumerRecord<String, byte[]> dead = awaitRecord(r -> r.topic().equals(Topics.DEAD_LETTER)
                && eventId.equals(header(r.headers(), CloudEventHeaders.ID)));
        assertThat(header(dead.headers(), CloudEventHeaders.DLQ_REASON)).isEqualTo(reason.name());
        assertThat(header(dead.headers(), CloudEventHeaders.DLQ_CONSUMER)).isEqualTo(id);
        assertThat(dead.value()).isEqualTo(forged.value());

        assertThat(calls()).as("wsl.exe calls after the forged command").isEqualTo(callsBefore);
        assertThat(events(CommandProgress.class, p -> p.commandId().equals(commandId))).hasSize(progressBefore);
        assertThat(events(CommandResult.class, r -> r.commandId().equals(commandId))).hasSize(resultsBefore);
        return refused;
    }

    @Test
    void anUnsignedCommandIsRefusedAsUnauthenticated() throws Exception {
        CommandRefused refused = assertRefused(unsigned(install("cmd-t-unsigned", id)), "cmd-t-unsigned",
                RejectReason.UNAUTHENTICATED);
        assertThat(refused.detail()).contains("not signed");
    }

    @Test
    void aCommandSignedWithAnUntrustedKeyIsRefusedAsUnauthenticated() throws Exception {
        KeyPair attacker = Ed25519.generate();
        assertRefused(RecordSignatures.sign(unsigned(install("cmd-t-attacker", id)), new Signer("attacker",
                attacker.getPrivate())), "cmd-t-attacker", RejectReason.UNAUTHENTICATED);
        // claiming the trusted key's id does not help: the signature does not verify with that key
        CommandRefused refused = assertRefused(RecordSignatures.sign(unsigned(install("cmd-t-claims-orch", id)),
                new Signer(ORCHESTRATOR_KEY_ID, attacker.getPrivate())), "cmd-t-claims-orch", RejectReason.UNAUTHENTICATED);
        assertThat(refused.detail()).contains("does not verify");
    }

    @Test
    void aValidlySignedCommandKeyedToThisAgentWithAnotherAgentsIdInTheDataIsNotItsCommand() throws Exception {
        // what only an orchestrator defect could produce: the agent still obeys only what is addressed to it
        ProducerRecord<String, byte[]> forOther = rekeyed(unsigned(install("cmd-t-other-data", "ws-other/dev")), id);
        assertRefused(RecordSignatures.sign(forOther, orchestratorSigner()), "cmd-t-other-data",
                RejectReason.NOT_YOUR_COMMAND);
    }

    @Test
    void anotherAgentsSignedCommandReKeyedToThisAgentIsRefusedAsUnauthenticated() throws Exception {
        // a genuine command for ws-other, re-addressed: the signature covers the record key
        ProducerRecord<String, byte[]> genuine = RecordSignatures.sign(unsigned(install("cmd-t-rekeyed", "ws-other/dev")),
                orchestratorSigner());
        assertRefused(rekeyed(genuine, id), "cmd-t-rekeyed", RejectReason.UNAUTHENTICATED);
    }

    @Test
    void anotherAgentsCommandOnThisAgentsPartitionIsSkipped() throws Exception {
        int partitions = producer.partitionsFor(Topics.COMMANDS).size();
        ProducerRecord<String, byte[]> genuine = RecordSignatures.sign(unsigned(install("cmd-t-elsewhere", "ws-other/dev")),
                orchestratorSigner());
        sendRecord(new ProducerRecord<>(Topics.COMMANDS, Agent.partitionOf(id, partitions), genuine.key(),
                genuine.value(), genuine.headers()));
        ran(new HealthCheckCommand("cmd-t-after-elsewhere", id, "NixOS", Instant.now().plusSeconds(60)));
        // read in order: the skipped record came first, and the agent neither ran it nor said anything about it
        assertThat(events(CommandRefused.class, r -> "cmd-t-elsewhere".equals(r.commandId()))).isEmpty();
        assertThat(events(CommandResult.class, r -> r.commandId().equals("cmd-t-elsewhere"))).isEmpty();
        String eventId = header(genuine.headers(), CloudEventHeaders.ID);
        assertThat(seen.stream().filter(r -> r.topic().equals(Topics.DEAD_LETTER))
                .filter(r -> eventId.equals(header(r.headers(), CloudEventHeaders.ID)))).isEmpty();
    }

    @Test
    void anotherEventReusingAnAcceptedCommandIdIsRefusedAsReplayed() throws Exception {
        // no distro installed: the health check runs and finds it absent
        assertThat(ran(new HealthCheckCommand("cmd-t-replay", id, "NixOS", Instant.now().plusSeconds(60))).reason())
                .isEqualTo(FailureReason.UNHEALTHY);
        CommandRefused refused = assertRefused(RecordSignatures.sign(unsigned(install("cmd-t-replay", id)),
                orchestratorSigner()), "cmd-t-replay", RejectReason.REPLAYED);
        assertThat(refused.detail()).contains("already came in event");
    }

    @Test
    void everyEventTheAgentSendsIsSignedWithTheKeyItRegistered() throws Exception {
        AgentRegistered registered = await(AgentRegistered.class, r -> r.agentId().equals(id));
        assertThat(registered.publicKey()).isNotNull();
        assertThat(registered.enrolmentToken()).isNull();
        TrustedKeys agentKey = TrustedKeys.parse(TrustedKeys.fingerprint(registered.publicKey()) + "="
                + registered.publicKey());
        ran(new HealthCheckCommand("cmd-t-signed", id, "NixOS", Instant.now().plusSeconds(60)));
        sendRecord(unsigned(install("cmd-t-signed-refusal", id)));
        await(CommandRefused.class, r -> "cmd-t-signed-refusal".equals(r.commandId()));

        var mine = seen.stream().filter(r -> r.topic().equals(Topics.AGENT_EVENTS) && id.equals(r.key())).toList();
        assertThat(mine).extracting(r -> header(r.headers(), CloudEventHeaders.TYPE)).contains(
                EventType.AGENT_REGISTERED.ceType(), EventType.COMMAND_RESULT.ceType(),
                EventType.COMMAND_REFUSED.ceType());
        assertThat(mine).allSatisfy(r -> assertThat(RecordSignatures.verify(r, agentKey))
                .isInstanceOf(RecordSignatures.Verification.Verified.class));
    }

    @Test
    void heartbeatsAndTheEnrolmentTokenGoOutSigned() throws Exception {
        Agent agent = agent("ws-t-token", tmp.resolve("ws-t-token-wsl"), Map.of("FLEET_ENROLMENT_TOKEN",
                "tok-9.secret-part", "FLEET_HEARTBEAT_SECONDS", "1"));
        String tokenAgent = agent.config().agentId();
        AgentRegistered registered = await(AgentRegistered.class, r -> r.agentId().equals(tokenAgent));
        assertThat(registered.enrolmentToken()).isEqualTo("tok-9.secret-part");
        assertThat(TrustedKeys.fingerprint(registered.publicKey())).isEqualTo(agent.keyId());
        await(AgentHeartbeat.class, h -> h.agentId().equals(tokenAgent));
        TrustedKeys agentKey = TrustedKeys.parse(agent.keyId() + "=" + registered.publicKey());
        var heartbeat = awaitRecord(r -> r.topic().equals(Topics.AGENT_EVENTS) && tokenAgent.equals(r.key())
                && EventType.AGENT_HEARTBEAT.ceType().equals(header(r.headers(), CloudEventHeaders.TYPE)));
        assertThat(RecordSignatures.verify(heartbeat, agentKey).verified()).isTrue();
        assertThat(Files.readString(tmp.resolve("ws-t-token-agent").resolve(AgentIdentity.PUBLIC_FILE)))
                .isEqualTo(registered.publicKey());
    }

    @Test
    void duringAKeyRotationTheAgentObeysEitherTrustedOrchestratorKey() throws Exception {
        KeyPair next = Ed25519.generate();
        Agent agent = agent("ws-t-rotate", tmp.resolve("ws-t-rotate-wsl"), Map.of("FLEET_TRUST_ORCHESTRATOR_KEYS",
                trustedOrchestratorKeys() + ",orch-2=" + Ed25519.encode(next.getPublic())));
        String rotating = agent.config().agentId();
        // each health check that runs (no CommandRefused) finds no distro: UNHEALTHY
        send(new HealthCheckCommand("cmd-rot-1", rotating, "NixOS", Instant.now().plusSeconds(60)));
        assertThat(await(CommandResult.class, r -> r.commandId().equals("cmd-rot-1")).reason())
                .isEqualTo(FailureReason.UNHEALTHY);
        sendRecord(RecordSignatures.sign(EventCodec.toRecord(CloudEvent.of("urn:test",
                new HealthCheckCommand("cmd-rot-2", rotating, "NixOS", Instant.now().plusSeconds(60)))),
                new Signer("orch-2", next.getPrivate())));
        assertThat(await(CommandResult.class, r -> r.commandId().equals("cmd-rot-2")).reason())
                .isEqualTo(FailureReason.UNHEALTHY);
        sendRecord(RecordSignatures.sign(EventCodec.toRecord(CloudEvent.of("urn:test",
                new HealthCheckCommand("cmd-rot-3", rotating, "NixOS", Instant.now().plusSeconds(60)))),
                new Signer("orch-3", Ed25519.generate().getPrivate())));
        assertThat(await(CommandRefused.class, r -> "cmd-rot-3".equals(r.commandId())).reason())
                .isEqualTo(RejectReason.UNAUTHENTICATED);
        assertThat(events(CommandResult.class, r -> r.commandId().equals("cmd-rot-3"))).isEmpty();
        assertThat(events(CommandRefused.class, r -> r.agentId().equals(rotating))).extracting(CommandRefused::commandId)
                .containsExactly("cmd-rot-3");
    }

    @Test
    void aRestartKeepsTheIdentityAndTheCommandIdsItHasSeen() throws Exception {
        Path restartWsl = tmp.resolve("ws-t-restart-wsl");
        Agent first = agent("ws-t-restart", restartWsl);
        String restarting = first.config().agentId();
        String keyId = first.keyId();
        Path key = tmp.resolve("ws-t-restart-agent").resolve(AgentIdentity.KEY_FILE);
        assertThat(Files.getPosixFilePermissions(key)).containsExactlyInAnyOrder(
                java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
        ran(new HealthCheckCommand("cmd-t-restart", restarting, "NixOS", Instant.now().plusSeconds(60)));
        first.close();
        agents.remove(first);

        Agent second = agent("ws-t-restart", restartWsl);
        assertThat(second.keyId()).isEqualTo(keyId);
        String callsBefore = Files.readString(restartWsl.resolve(WslStandIn.CALLS));
        sendRecord(RecordSignatures.sign(unsigned(install("cmd-t-restart", restarting)), orchestratorSigner()));
        assertThat(await(CommandRefused.class, r -> "cmd-t-restart".equals(r.commandId())).reason())
                .isEqualTo(RejectReason.REPLAYED);
        assertThat(Files.readString(restartWsl.resolve(WslStandIn.CALLS))).isEqualTo(callsBefore);
        // registered at both starts and after the command, always with the same key (sent before the refusal)
        assertThat(events(AgentRegistered.class, r -> r.agentId().equals(restarting)))
                .hasSizeGreaterThanOrEqualTo(3)
                .allSatisfy(r -> assertThat(TrustedKeys.fingerprint(r.publicKey())).isEqualTo(keyId));
    }
}
