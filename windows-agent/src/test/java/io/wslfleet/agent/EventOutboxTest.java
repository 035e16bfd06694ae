package io.wslfleet.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.UnaryOperator;
import java.security.KeyPair;

import io.wslfleet.embedded.FleetInfra;
import io.wslfleet.embedded.KafkaRole;
import io.wslfleet.protocol.Topics;
import io.wslfleet.protocol.release.Ed25519;
import io.wslfleet.protocol.trust.RecordSignatures;
import io.wslfleet.protocol.trust.Signer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Events written while no broker is reachable survive an agent restart and arrive afterwards, in order. */
class EventOutboxTest {

    @TempDir
    Path state;

    /** A producer as the agent's, with the agent's principal, to {@code bootstrap}. */
    private static KafkaProducer<String, byte[]> producer(String bootstrap) {
        Map<String, Object> props = FleetInfra.shared().kafkaClientProperties(KafkaRole.AGENT);
        props.putAll(Map.of("bootstrap.servers", bootstrap, "enable.idempotence", true, "acks", "all",
                "max.block.ms", 1000, "request.timeout.ms", 1000, "delivery.timeout.ms", 2000, "linger.ms", 0));
        return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }

    @Test
    void eventsWrittenWhileTheBrokerIsDownArriveAfterARestartInOrderAndSigned() throws Exception {
        String key = "outbox-" + UUID.randomUUID();
        Path dir = state.resolve("outbox");
        KeyPair identity = Ed25519.generate();
        Signer signer = Signer.ofPair(identity);
        try (var down = producer("127.0.0.1:1")) {
            // written by an agent that did not sign yet: the backlog is signed when it is sent
            EventOutbox outbox = new EventOutbox(dir, down, UnaryOperator.identity());
            for (int i = 1; i <= 5; i++) {
                var record = new ProducerRecord<String, byte[]>(Topics.AGENT_EVENTS, key, ("event " + i).getBytes(StandardCharsets.UTF_8));
                record.headers().add("ce_id", (key + "-" + i).getBytes(StandardCharsets.UTF_8));
                outbox.enqueue(record);
            }
            Thread.sleep(3000);
            assertThat(outbox.pending()).hasSize(5);
            outbox.close(Duration.ZERO); // the agent stops with the broker still unreachable
        }

        String bootstrap = FleetInfra.shared().kafkaBootstrap();
        try (var up = producer(bootstrap)) {
            EventOutbox restarted = new EventOutbox(dir, up, Agent.signingOwnEvents(signer));
            long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!restarted.pending().isEmpty() && System.nanoTime() < until) {
                Thread.sleep(100);
            }
            assertThat(restarted.pending()).isEmpty();
            restarted.close();
        }
        List<String> received = new ArrayList<>();
        Map<String, Object> observer = FleetInfra.shared().kafkaClientProperties(KafkaRole.ADMIN);
        observer.putAll(Map.of("group.id", "outbox-test-" + key, "auto.offset.reset", "earliest"));
        try (var consumer = new KafkaConsumer<>(observer, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.AGENT_EVENTS));
            long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (received.size() < 5 && System.nanoTime() < until) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (key.equals(r.key())) {
                        assertThat(RecordSignatures.verify(r, id -> id.equals(signer.keyId())
                                ? Optional.of(identity.getPublic()) : Optional.empty()).verified()).isTrue();
                        received.add(new String(r.value(), StandardCharsets.UTF_8));
                    }
                });
            }
        }
        assertThat(received).containsExactly("event 1", "event 2", "event 3", "event 4", "event 5");
    }
}
