package io.wslfleet.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import io.wslfleet.protocol.Topics;
import io.wslfleet.protocol.kafka.KafkaClientSettings;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded broker's listener, principals and ACLs, tried with real clients: each role may do what
 * {@link FleetAcls} grants and is refused the rest; a client without valid credentials gets nothing.
 */
class KafkaAclTest {

    private final FleetInfra infra = FleetInfra.shared();

    @Test
    void agentMayWriteAgentEventsAndReadItsCommandsUnderItsOwnGroup() throws Exception {
        assertThat(produce(KafkaRole.AGENT, Topics.AGENT_EVENTS)).isNull();
        String key = "ws-acl/" + UUID.randomUUID();
        try (var orchestrator = producer(KafkaRole.ORCHESTRATOR)) {
            orchestrator.send(new ProducerRecord<>(Topics.COMMANDS, 0, key, bytes("command"))).get(30, TimeUnit.SECONDS);
        }
        try (var agent = consumer(KafkaRole.AGENT, "agent-ws-acl_dev")) {
            TopicPartition partition = new TopicPartition(Topics.COMMANDS, 0);
            agent.assign(List.of(partition));
            agent.seekToBeginning(List.of(partition));
            boolean seen = false;
            long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!seen && System.nanoTime() < until) {
                seen = agent.poll(Duration.ofMillis(500)).records(partition).stream().anyMatch(r -> key.equals(r.key()));
            }
            assertThat(seen).as("the agent read its command").isTrue();
            agent.commitSync();
        }
    }

    @Test
    void agentMayNotWriteCommandsArtifactsOrBuildRequests() throws Exception {
        for (String topic : List.of(Topics.COMMANDS, Topics.ARTIFACTS, Topics.BUILD_REQUESTS)) {
            assertThat(produce(KafkaRole.AGENT, topic)).as(topic).isInstanceOf(TopicAuthorizationException.class);
        }
    }

    @Test
    void agentMayNotReadAgentEventsNorUseAnotherRolesGroup() {
        assertThat(consume(KafkaRole.AGENT, "agent-ws-acl_dev", Topics.AGENT_EVENTS))
                .isInstanceOf(TopicAuthorizationException.class);
        assertThat(consume(KafkaRole.AGENT, FleetAcls.ORCHESTRATOR_GROUP, Topics.COMMANDS))
                .isInstanceOf(GroupAuthorizationException.class);
    }

    @Test
    void buildWorkerReadsBuildRequestsAndWritesArtifactsAndDeadLettersOnly() throws Exception {
        assertThat(consume(KafkaRole.BUILD_WORKER, FleetAcls.BUILD_WORKER_GROUP, Topics.BUILD_REQUESTS)).isNull();
        assertThat(produce(KafkaRole.BUILD_WORKER, Topics.ARTIFACTS)).isNull();
        assertThat(produce(KafkaRole.BUILD_WORKER, Topics.DEAD_LETTER)).isNull();
        for (String topic : List.of(Topics.BUILD_REQUESTS, Topics.COMMANDS, Topics.AGENT_EVENTS)) {
            assertThat(produce(KafkaRole.BUILD_WORKER, topic)).as(topic).isInstanceOf(TopicAuthorizationException.class);
        }
        assertThat(consume(KafkaRole.BUILD_WORKER, FleetAcls.BUILD_WORKER_GROUP, Topics.AGENT_EVENTS))
                .isInstanceOf(TopicAuthorizationException.class);
    }

    @Test
    void orchestratorReadsAgentEventsAndArtifactsAndWritesTheRest() throws Exception {
        assertThat(consume(KafkaRole.ORCHESTRATOR, FleetAcls.ORCHESTRATOR_GROUP, Topics.AGENT_EVENTS)).isNull();
        assertThat(consume(KafkaRole.ORCHESTRATOR, FleetAcls.ORCHESTRATOR_GROUP, Topics.ARTIFACTS)).isNull();
        for (String topic : List.of(Topics.COMMANDS, Topics.BUILD_REQUESTS, Topics.DEAD_LETTER)) {
            assertThat(produce(KafkaRole.ORCHESTRATOR, topic)).as(topic).isNull();
        }
        for (String topic : List.of(Topics.AGENT_EVENTS, Topics.ARTIFACTS)) {
            assertThat(produce(KafkaRole.ORCHESTRATOR, topic)).as(topic).isInstanceOf(TopicAuthorizationException.class);
        }
        assertThat(consume(KafkaRole.ORCHESTRATOR, FleetAcls.ORCHESTRATOR_GROUP, Topics.COMMANDS))
                .isInstanceOf(TopicAuthorizationException.class);
    }

    @Test
    void plaintextClientCannotTalkToTheSecuredListener() {
        Map<String, Object> props = new HashMap<>(Map.of("bootstrap.servers", infra.kafkaBootstrap(),
                "security.protocol", "PLAINTEXT"));
        assertThat(listTopics(props)).isInstanceOf(TimeoutException.class);
    }

    @Test
    void wrongPasswordIsRefusedAtAuthentication() {
        Map<String, Object> props = infra.kafkaClientProperties(KafkaRole.AGENT);
        props.put("sasl.jaas.config", KafkaClientSettings.scramJaasConfig(KafkaRole.AGENT.username(), "not-the-password"));
        assertThat(listTopics(props)).isInstanceOf(SaslAuthenticationException.class);
        Map<String, Object> unknown = infra.kafkaClientProperties(KafkaRole.AGENT);
        unknown.put("sasl.jaas.config", KafkaClientSettings.scramJaasConfig("nobody", "secret"));
        assertThat(listTopics(unknown)).isInstanceOf(SaslAuthenticationException.class);
    }

    @Test
    void clientThatDoesNotTrustTheBrokersCaIsRefused() {
        Map<String, Object> props = infra.kafkaClientProperties(KafkaRole.ADMIN);
        props.keySet().removeIf(k -> k.startsWith("ssl.truststore."));
        assertThat(listTopics(props)).isInstanceOf(SslAuthenticationException.class);
    }

    @Test
    void adminClientPropertiesFileServesConsoleToolsAndTheConvention(@TempDir Path tmp) throws Exception {
        Path file = infra.writeKafkaClientProperties(KafkaRole.ADMIN, tmp.resolve("admin.properties"));
        Map<String, Object> props = KafkaClientSettings.security(Map.of(KafkaClientSettings.CLIENT_PROPERTIES, file.toString()));
        assertThat(props).containsEntry("bootstrap.servers", infra.kafkaBootstrap())
                .containsEntry("security.protocol", "SASL_SSL");
        try (Admin admin = Admin.create(props)) {
            assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).containsAll(Topics.ALL);
        }
    }

    /** Sends one record as {@code role}; the failure's cause, or null when the broker took it. */
    private Throwable produce(KafkaRole role, String topic) throws InterruptedException {
        try (var producer = producer(role)) {
            producer.send(new ProducerRecord<>(topic, "acl-test", bytes("x"))).get(30, TimeUnit.SECONDS);
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (java.util.concurrent.TimeoutException | RuntimeException e) {
            return e;
        }
    }

    /** Reads {@code topic}'s first partition as {@code role} in {@code group} and commits; the failure, or null. */
    private Throwable consume(KafkaRole role, String group, String topic) {
        try (var consumer = consumer(role, group)) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.poll(Duration.ofSeconds(2));
            consumer.commitSync(Duration.ofSeconds(10));
            return null;
        } catch (RuntimeException e) {
            return e;
        }
    }

    private static Throwable listTopics(Map<String, Object> props) {
        props.put("request.timeout.ms", 3000);
        props.put("default.api.timeout.ms", 5000);
        props.put("reconnect.backoff.max.ms", 500);
        try (Admin admin = Admin.create(props)) {
            admin.listTopics().names().get(20, TimeUnit.SECONDS);
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            return e;
        }
    }

    private KafkaProducer<String, byte[]> producer(KafkaRole role) {
        Map<String, Object> props = infra.kafkaClientProperties(role);
        props.put("max.block.ms", 10_000);
        props.put("delivery.timeout.ms", 20_000);
        props.put("request.timeout.ms", 10_000);
        return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }

    private KafkaConsumer<String, byte[]> consumer(KafkaRole role, String group) {
        Map<String, Object> props = infra.kafkaClientProperties(role);
        props.put("group.id", group);
        props.put("enable.auto.commit", false);
        props.put("auto.offset.reset", "earliest");
        props.put("default.api.timeout.ms", 10_000);
        return new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
