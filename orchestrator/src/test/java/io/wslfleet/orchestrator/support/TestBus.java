package io.wslfleet.orchestrator.support;

import io.wslfleet.embedded.FleetInfra;
import io.wslfleet.embedded.KafkaRole;
import io.wslfleet.protocol.CloudEvent;
import io.wslfleet.protocol.EventCodec;
import io.wslfleet.protocol.events.EventData;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Plain Kafka clients against the test broker: what an external party (a worker, an agent, an operator) sees. A
 * record is written with the principal of the program that writes its topic ({@link KafkaRole#writerOf}: agent
 * events as an agent, artifacts as a build worker), and read as the admin principal, as an operator's tools would.
 */
public final class TestBus {
    private static final Map<KafkaRole, KafkaProducer<String, byte[]>> producers = new EnumMap<>(KafkaRole.class);

    private TestBus() {
    }

    /** The producer with the principal that may write {@code topic}. */
    public static synchronized KafkaProducer<String, byte[]> producer(String topic) {
        return producers.computeIfAbsent(KafkaRole.writerOf(topic), role -> {
            Map<String, Object> props = FleetInfra.shared().kafkaClientProperties(role);
            props.put(ProducerConfig.ACKS_CONFIG, "all");
            props.put(ProducerConfig.LINGER_MS_CONFIG, 2);
            return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
        });
    }

    /** Publishes a build event as a build worker does: signed with the build key the orchestrator trusts. */
    public static void publish(String source, io.wslfleet.protocol.events.BuildEvent data) {
        send(io.wslfleet.protocol.trust.RecordSignatures.sign(EventCodec.toRecord(CloudEvent.of(source, data)),
                Fixtures.buildSigner()));
    }

    /** Publishes an event without any signature, as an attacker without a key would. */
    public static void publishUnsigned(String source, EventData data) {
        send(EventCodec.toRecord(CloudEvent.of(source, data)));
    }

    public static void send(ProducerRecord<String, byte[]> record) {
        try {
            producer(record.topic()).send(record).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A consumer over every partition of the topic, from the beginning, with no group, as the admin principal. */
    public static KafkaConsumer<String, byte[]> reader(String topic) {
        return reader(topic, KafkaRole.ADMIN);
    }

    /** A consumer over every partition of the topic, from the beginning, with no group, as {@code role}. */
    public static KafkaConsumer<String, byte[]> reader(String topic, KafkaRole role) {
        Map<String, Object> props = FleetInfra.shared().kafkaClientProperties(role);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        return consumer;
    }

    /** The dead-letter records keyed {@code key}, once there are {@code count} of them (waits up to 30 s). */
    public static List<ConsumerRecord<String, byte[]>> awaitDeadLetters(String key, int count) {
        List<List<ConsumerRecord<String, byte[]>>> found = new ArrayList<>();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            List<ConsumerRecord<String, byte[]>> dead = readAll(io.wslfleet.protocol.Topics.DEAD_LETTER,
                    r -> key.equals(r.key()), Duration.ofMillis(500));
            org.assertj.core.api.Assertions.assertThat(dead).hasSizeGreaterThanOrEqualTo(count);
            found.add(dead);
        });
        return found.get(found.size() - 1);
    }

    /** The reasons of the dead-letter records keyed {@code key}, once there are {@code count}. */
    public static List<String> awaitDeadLetterReasons(String key, int count) {
        return awaitDeadLetters(key, count).stream().map(TestBus::reason).toList();
    }

    public static String reason(ConsumerRecord<String, byte[]> deadLetter) {
        return new String(deadLetter.headers().lastHeader(io.wslfleet.protocol.CloudEventHeaders.DLQ_REASON).value(),
                java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Every record on the topic that matches, read until {@code quiet} passes with nothing new. */
    public static List<ConsumerRecord<String, byte[]>> readAll(String topic, Predicate<ConsumerRecord<String, byte[]>> match,
                                                             Duration quiet) {
        List<ConsumerRecord<String, byte[]>> found = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = reader(topic)) {
            while (true) {
                var records = consumer.poll(quiet);
                if (records.isEmpty()) {
                    return found;
                }
                records.forEach(r -> {
                    if (match.test(r)) {
                        found.add(r);
                    }
                });
            }
        }
    }
}
