package io.wslfleet.orchestrator.bus;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import io.wslfleet.protocol.kafka.KafkaClientSettings;
import org.junit.jupiter.api.Test;

class KafkaSecurityConfigSourceTest {

    @Test
    void fleetKafkaVariablesBecomeQuarkusKafkaProperties() {
        var source = new KafkaSecurityConfigSource(Map.of(
                KafkaClientSettings.BOOTSTRAP, "kafka.corp:9093",
                KafkaClientSettings.USERNAME, "fleet-orchestrator", KafkaClientSettings.PASSWORD, "pw",
                KafkaClientSettings.TRUSTSTORE, "/etc/fleet/kafka-ca.p12", KafkaClientSettings.TRUSTSTORE_PASSWORD, "t"));
        assertThat(source.getProperties())
                .containsEntry("kafka.security.protocol", "SASL_SSL")
                .containsEntry("kafka.sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("kafka.sasl.jaas.config", KafkaClientSettings.scramJaasConfig("fleet-orchestrator", "pw"))
                .containsEntry("kafka.ssl.truststore.location", "/etc/fleet/kafka-ca.p12")
                .containsEntry("kafka.ssl.truststore.type", "PKCS12")
                .containsEntry("kafka.ssl.truststore.password", "t")
                .doesNotContainKey("kafka.bootstrap.servers"); // %prod.kafka.bootstrap.servers reads FLEET_KAFKA_BOOTSTRAP
        assertThat(source.getOrdinal()).isBetween(251, 299); // over application.properties, under environment variables
    }

    @Test
    void withoutVariablesItAddsNothing() {
        assertThat(new KafkaSecurityConfigSource(Map.of()).getProperties()).isEmpty();
    }
}
