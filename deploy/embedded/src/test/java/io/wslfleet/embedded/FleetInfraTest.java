package io.wslfleet.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.wslfleet.protocol.Topics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class FleetInfraTest {

    private final FleetInfra infra = FleetInfra.shared();

    @Test
    void brokerHasEveryFleetTopicWithTheDefaultPartitions() throws Exception {
        try (var admin = org.apache.kafka.clients.admin.Admin.create(infra.kafkaClientProperties(KafkaRole.ADMIN))) {
            var topics = admin.describeTopics(Topics.ALL).allTopicNames().get(30, TimeUnit.SECONDS);
            assertThat(topics.keySet()).containsExactlyInAnyOrderElementsOf(Topics.ALL);
            topics.values().forEach(t -> assertThat(t.partitions()).hasSize(Topics.DEFAULT_PARTITIONS));
        }
    }

    @Test
    void recordWithHeadersRoundTripsThroughTheBroker() throws Exception {
        var record = new ProducerRecord<>(Topics.DEAD_LETTER, "k1", "payload".getBytes(StandardCharsets.UTF_8));
        record.headers().add("ce_id", "abc".getBytes(StandardCharsets.UTF_8));
        try (var producer = new KafkaProducer<>(infra.kafkaClientProperties(KafkaRole.ORCHESTRATOR),
                new StringSerializer(), new ByteArraySerializer())) {
            producer.send(record).get(30, TimeUnit.SECONDS);
        }
        Map<String, Object> reader = infra.kafkaClientProperties(KafkaRole.ADMIN);
        reader.putAll(Map.of("group.id", "infra-test", "auto.offset.reset", "earliest"));
        try (var consumer = new KafkaConsumer<>(reader, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.DEAD_LETTER));
            ConsumerRecord<String, byte[]> got = null;
            long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (got == null && System.nanoTime() < until) {
                for (var r : consumer.poll(Duration.ofMillis(500))) {
                    if ("k1".equals(r.key())) {
                        got = r;
                    }
                }
            }
            assertThat(got).as("record read back").isNotNull();
            assertThat(new String(got.value(), StandardCharsets.UTF_8)).isEqualTo("payload");
            assertThat(new String(got.headers().lastHeader("ce_id").value(), StandardCharsets.UTF_8)).isEqualTo("abc");
        }
    }

    @Test
    void databaseAcceptsTheFleetRole() throws Exception {
        try (var c = DriverManager.getConnection(infra.jdbcUrl(), infra.dbUser(), infra.dbPassword());
             var rs = c.createStatement().executeQuery("select current_user, current_database(), version()")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("fleet");
            assertThat(rs.getString(2)).isEqualTo("fleet");
            assertThat(rs.getString(3)).startsWith("PostgreSQL 17");
        }
    }

    @Test
    void quarkusConfigSwitchesDevServicesOffAndNamesBothServersWithTheOrchestratorsPrincipal() {
        Map<String, String> config = infra.quarkusConfig();
        assertThat(config).containsEntry("quarkus.devservices.enabled", "false")
                .containsEntry("kafka.bootstrap.servers", infra.kafkaBootstrap())
                .containsEntry("kafka.security.protocol", "SASL_SSL")
                .containsEntry("kafka.sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("kafka.ssl.truststore.location", infra.embeddedKafka().truststore().toString())
                .hasEntrySatisfying("kafka.sasl.jaas.config", jaas -> assertThat(jaas)
                        .contains("username=\"" + KafkaRole.ORCHESTRATOR.username() + "\""))
                .containsEntry("quarkus.datasource.jdbc.url", infra.jdbcUrl());
    }

    @Test
    void plaintextIsAnExplicitOptOut(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        try (var plain = FleetInfra.create(tmp, Map.of("FLEET_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT"))) {
            assertThat(plain.kafkaEnvironment(KafkaRole.AGENT))
                    .containsEntry("FLEET_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")
                    .doesNotContainKeys("FLEET_KAFKA_USERNAME", "FLEET_KAFKA_PASSWORD");
            try (var admin = org.apache.kafka.clients.admin.Admin.create(Map.of("bootstrap.servers", plain.kafkaBootstrap()))) {
                assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).containsAll(Topics.ALL);
            }
        }
    }

    @Test
    void externalServersComeFromTheEnvironment() {
        var infra = FleetInfra.create(java.nio.file.Path.of("/nonexistent"), Map.of(
                "FLEET_DB_URL", "jdbc:postgresql://db.example:5432/fleet",
                "FLEET_DB_USER", "svc", "FLEET_DB_PASSWORD", "pw"));
        assertThat(infra.jdbcUrl()).isEqualTo("jdbc:postgresql://db.example:5432/fleet");
        assertThat(infra.dbUser()).isEqualTo("svc");
        assertThat(infra.dbPassword()).isEqualTo("pw");
    }
}
