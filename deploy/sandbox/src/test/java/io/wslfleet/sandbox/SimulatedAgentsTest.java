package io.wslfleet.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import io.wslfleet.embedded.FleetInfra;
import io.wslfleet.embedded.KafkaRole;
import io.wslfleet.protocol.CloudEvent;
import io.wslfleet.protocol.Decoded;
import io.wslfleet.protocol.EventCodec;
import io.wslfleet.protocol.EventDecoder;
import io.wslfleet.protocol.RejectReason;
import io.wslfleet.protocol.Topics;
import io.wslfleet.protocol.events.AgentEvent;
import io.wslfleet.protocol.events.AgentRegistered;
import io.wslfleet.protocol.events.CommandOutcome;
import io.wslfleet.protocol.events.CommandRefused;
import io.wslfleet.protocol.events.CommandResult;
import io.wslfleet.protocol.events.ReleaseRef;
import io.wslfleet.protocol.events.UpgradeCommand;
import io.wslfleet.protocol.events.UpgradeMode;
import io.wslfleet.protocol.release.Ed25519;
import io.wslfleet.protocol.trust.RecordSignatures;
import io.wslfleet.protocol.trust.Signer;
import io.wslfleet.protocol.trust.TrustedKeys;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The simulated agents speak the protocol the orchestrator will require, checked on the real (embedded, secured)
 * broker: every event signed with the agent's own key and numbered in order, the registration carrying the public key
 * and the enrolment token; a command signed with the orchestrator's key is run once (a redelivery answered from the
 * stored result), one signed with another key or not signed at all is refused as UNAUTHENTICATED, one keyed to an
 * agent but naming another refused with the decoder's reason.
 */
class SimulatedAgentsTest {
    private static final String OLD_PATH = "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-nixos-system-sim-26.1.0";
    private static final String NEW_PATH = "/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-nixos-system-sim-26.2.0";

    private final FleetInfra infra = FleetInfra.shared();

    @Test
    void runsCommandsSignedByTheOrchestratorOnceAndRefusesTheRest() throws Exception {
        KeyPair orchestrator = Ed25519.generate();
        KeyPair stranger = Ed25519.generate();
        TrustedKeys trusted = TrustedKeys.parse("orchestrator-1=" + Ed25519.encode(orchestrator.getPublic()));
        String prefix = "sim" + UUID.randomUUID().toString().substring(0, 8) + "-";
        try (SimulatedAgents agents = new SimulatedAgents(infra.kafkaClientProperties(KafkaRole.AGENT), trusted, true,
                "token-1.secret", line -> System.out.println("[agents] " + line));
             Producer<String, byte[]> bus = new KafkaProducer<>(infra.kafkaClientProperties(KafkaRole.ORCHESTRATOR),
                     new StringSerializer(), new ByteArraySerializer())) {
            agents.start(prefix, 3, OLD_PATH, Duration.ofMinutes(10), Duration.ZERO);
            String first = prefix + "0001/dev";
            String second = prefix + "0002/dev";
            String third = prefix + "0003/dev";

            UpgradeCommand genuine = upgrade(first);
            send(bus, command(genuine, new Signer("orchestrator-1", orchestrator.getPrivate())));
            send(bus, command(upgrade(second), new Signer("orchestrator-1", stranger.getPrivate())));
            send(bus, EventCodec.toRecord(CloudEvent.of("/orchestrator", upgrade(third))));
            var forThird = EventCodec.toRecord(CloudEvent.of("/orchestrator", upgrade(third)));
            send(bus, RecordSignatures.sign(new ProducerRecord<>(Topics.COMMANDS, null, first, forThird.value(),
                    forThird.headers()), new Signer("orchestrator-1", orchestrator.getPrivate())));
            send(bus, command(genuine, new Signer("orchestrator-1", orchestrator.getPrivate())));

            LocalFleet.awaitTrue("the commands handled", Duration.ofMinutes(1),
                    () -> agents.answeredCommands() == 1 && agents.refusedCommands() == 3
                            && agents.redeliveries() == 1);
            assertThat(agents.verifiedCommands()).isEqualTo(2);
            assertThat(agents.agent(third).generations).containsExactly(OLD_PATH);
            assertThat(agents.unsignedCommands()).isZero();
            assertThat(agents.agent(first).generations).containsExactly(OLD_PATH, NEW_PATH);
            assertThat(agents.agent(second).generations).containsExactly(OLD_PATH);

            Map<String, PublicKey> keys = new HashMap<>();
            agents.agents().forEach(a -> keys.put(a.signer.keyId(), Ed25519.publicKey(a.publicKey)));
            LocalFleet.awaitTrue("every event on the bus", Duration.ofMinutes(1),
                    () -> agentEvents(prefix).size() == agents.sent());
            List<ConsumerRecord<String, byte[]>> records = agentEvents(prefix);
            Map<String, Long> lastSequence = new HashMap<>();
            List<AgentEvent> events = new ArrayList<>();
            for (ConsumerRecord<String, byte[]> record : records) {
                var verification = RecordSignatures.verify(record, id -> Optional.ofNullable(keys.get(id)));
                assertThat(verification.verified()).as("signature of %s", record).isTrue();
                AgentEvent event = (AgentEvent) ((Decoded.Event) EventDecoder.of(Topics.AGENT_EVENTS).decode(record))
                        .event().data();
                assertThat(keys.get(RecordSignatures.keyId(record.headers()).orElseThrow()))
                        .as("signed by its own agent").isEqualTo(Ed25519.publicKey(agents.agent(event.agentId()).publicKey));
                assertThat(event.sequence()).as("order of %s", event.agentId())
                        .isGreaterThan(lastSequence.getOrDefault(event.agentId(), 0L));
                lastSequence.put(event.agentId(), event.sequence());
                events.add(event);
            }
            assertThat(events).filteredOn(e -> e instanceof AgentRegistered).hasSize(3).allSatisfy(e -> {
                AgentRegistered registered = (AgentRegistered) e;
                assertThat(registered.publicKey()).isEqualTo(agents.agent(registered.agentId()).publicKey);
                assertThat(registered.enrolmentToken()).isEqualTo("token-1.secret");
            });
            assertThat(events).filteredOn(e -> e instanceof CommandResult).hasSize(2).allSatisfy(e -> {
                CommandResult result = (CommandResult) e;
                assertThat(result.commandId()).isEqualTo(genuine.commandId());
                assertThat(result.outcome()).isEqualTo(CommandOutcome.SUCCEEDED);
                assertThat(result.health().systemPath()).isEqualTo(NEW_PATH);
            });
            assertThat(events).filteredOn(e -> e instanceof CommandRefused).extracting(AgentEvent::agentId,
                    e -> ((CommandRefused) e).reason()).containsExactlyInAnyOrder(
                    tuple(second, RejectReason.UNAUTHENTICATED),
                    tuple(third, RejectReason.UNAUTHENTICATED), tuple(first, RejectReason.KEY_MISMATCH));
        }
    }

    private static UpgradeCommand upgrade(String agentId) {
        ReleaseRef release = new ReleaseRef("rel-26.2.0", "26.2.0", "http://127.0.0.1:9/sha256/" + "c".repeat(64),
                "c".repeat(64), 1024, "{\"manifest\":true}", "c2lnbmF0dXJl", "build-1", NEW_PATH);
        return new UpgradeCommand(UUID.randomUUID().toString(), agentId, SimulatedAgents.DISTRO, release,
                UpgradeMode.IN_PLACE, false, Instant.now().plusSeconds(600));
    }

    private static ProducerRecord<String, byte[]> command(UpgradeCommand command, Signer signer) {
        return RecordSignatures.sign(EventCodec.toRecord(CloudEvent.of("/orchestrator", command)), signer);
    }

    private static void send(Producer<String, byte[]> bus, ProducerRecord<String, byte[]> record) throws Exception {
        bus.send(record).get(30, TimeUnit.SECONDS);
    }

    /** The agent events of these agents on the bus, in offset order per partition (so per agent). */
    private List<ConsumerRecord<String, byte[]>> agentEvents(String prefix) {
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(infra.kafkaClientProperties(KafkaRole.ADMIN), new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.AGENT_EVENTS).stream()
                    .map(p -> new TopicPartition(Topics.AGENT_EVENTS, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (r.key() != null && r.key().startsWith(prefix)) {
                        records.add(r);
                    }
                });
            }
        }
        return records;
    }
}
