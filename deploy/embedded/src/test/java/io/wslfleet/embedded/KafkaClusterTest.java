package io.wslfleet.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import io.wslfleet.protocol.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three KRaft nodes as three processes, with the embedded broker's listener, principals and ACLs: topics are
 * replicated three times with {@code min.insync.replicas} 2, acknowledged writes survive the SIGKILL of the leader,
 * writes go on while it is down, and the node restarted on its data catches up until every replica is in sync.
 */
class KafkaClusterTest {

    @TempDir
    Path dir;

    @Test
    void acknowledgedWritesSurviveTheLeadersSigkillAndTheRestartedNodeCatchesUp() throws Exception {
        try (KafkaCluster cluster = KafkaCluster.start(dir, 3)) {
            cluster.createTopics(Topics.ALL, 2);
            try (Admin admin = cluster.admin()) {
                var description = admin.describeTopics(List.of(Topics.COMMANDS)).allTopicNames()
                        .get(30, TimeUnit.SECONDS).get(Topics.COMMANDS);
                assertThat(description.partitions()).allSatisfy(p -> assertThat(p.replicas()).hasSize(3));
                ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, Topics.COMMANDS);
                Config config = admin.describeConfigs(List.of(topic)).all().get(30, TimeUnit.SECONDS).get(topic);
                assertThat(config.get("min.insync.replicas").value()).isEqualTo("2");
            }

            Set<String> acknowledged = new HashSet<>();
            try (Producer<String, byte[]> orchestrator = producer(cluster, KafkaRole.ORCHESTRATOR)) {
                send(orchestrator, acknowledged, "before", 20);
                int leader = cluster.leaderOf(Topics.COMMANDS, 0).orElseThrow();
                cluster.kill(leader);
                assertThat(cluster.isAlive(leader)).isFalse();
                send(orchestrator, acknowledged, "while-down", 20);

                cluster.restart(leader);
                cluster.awaitBrokers(3, Duration.ofMinutes(2));
                cluster.awaitInSync(List.of(Topics.COMMANDS), Duration.ofMinutes(2));
                send(orchestrator, acknowledged, "after", 20);
            }

            try (Producer<String, byte[]> agent = producer(cluster, KafkaRole.AGENT)) {
                Throwable refused = catchThrowable(() -> agent.send(new ProducerRecord<>(Topics.COMMANDS, "ws-1/dev",
                        bytes("forged"))).get(30, TimeUnit.SECONDS));
                assertThat(refused).isInstanceOf(ExecutionException.class)
                        .hasCauseInstanceOf(TopicAuthorizationException.class);
            }
            assertThat(readAll(cluster, Topics.COMMANDS)).containsAll(acknowledged).hasSize(60);
        }
    }

    private static void send(Producer<String, byte[]> producer, Set<String> acknowledged, String prefix, int count)
            throws Exception {
        for (int i = 0; i < count; i++) {
            String key = prefix + "-" + i;
            producer.send(new ProducerRecord<>(Topics.COMMANDS, key, bytes(key))).get(60, TimeUnit.SECONDS);
            acknowledged.add(key);
        }
    }

    private static Set<String> readAll(KafkaCluster cluster, String topic) {
        Map<String, Object> props = cluster.clientProperties(KafkaRole.ADMIN);
        Set<String> keys = new HashSet<>();
        try (var consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p)) && System.nanoTime() < until) {
                consumer.poll(Duration.ofMillis(500)).forEach(r -> keys.add(r.key()));
            }
        }
        return keys;
    }

    private static Producer<String, byte[]> producer(KafkaCluster cluster, KafkaRole role) {
        Map<String, Object> props = cluster.clientProperties(role);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
        return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
