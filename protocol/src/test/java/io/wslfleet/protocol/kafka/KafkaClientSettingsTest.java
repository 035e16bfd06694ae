package io.wslfleet.protocol.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaClientSettingsTest {

    @Test
    void noVariablesMeanNoSecuritySettings() {
        assertThat(KafkaClientSettings.security(Map.of(KafkaClientSettings.BOOTSTRAP, "b:9092"))).isEmpty();
    }

    @Test
    void usernameAndTruststoreMeanSaslSslWithScramSha512() {
        var props = KafkaClientSettings.security(Map.of(
                KafkaClientSettings.USERNAME, "fleet-agent", KafkaClientSettings.PASSWORD, "p\"w",
                KafkaClientSettings.TRUSTSTORE, "/etc/fleet/ca.p12", KafkaClientSettings.TRUSTSTORE_PASSWORD, "t"));
        assertThat(props).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required "
                        + "username=\"fleet-agent\" password=\"p\\\"w\";")
                .containsEntry("ssl.truststore.location", "/etc/fleet/ca.p12")
                .containsEntry("ssl.truststore.type", "PKCS12")
                .containsEntry("ssl.truststore.password", "t");
    }

    @Test
    void keystoreAloneMeansMutualTls() {
        var props = KafkaClientSettings.security(Map.of(
                KafkaClientSettings.KEYSTORE, "C:\\fleet\\machine.pfx", KafkaClientSettings.KEYSTORE_PASSWORD, "k"));
        assertThat(props).containsEntry("security.protocol", "SSL")
                .containsEntry("ssl.keystore.location", "C:\\fleet\\machine.pfx")
                .containsEntry("ssl.keystore.password", "k")
                .containsEntry("ssl.key.password", "k")
                .doesNotContainKey("sasl.jaas.config");
    }

    @Test
    void variablesOverrideThePropertiesFileAndTheProgramOverridesBoth(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("client.properties");
        Files.writeString(file, "security.protocol=SSL\nssl.truststore.location=/from/file.jks\nacks=0\n"
                + "bootstrap.servers=file:9092\n");
        var security = KafkaClientSettings.security(Map.of(KafkaClientSettings.CLIENT_PROPERTIES, file.toString(),
                KafkaClientSettings.SECURITY_PROTOCOL, "sasl_ssl", KafkaClientSettings.USERNAME, "u"));
        assertThat(security).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("ssl.truststore.location", "/from/file.jks");
        var client = KafkaClientSettings.forClient(security, "env:9092", Map.of("acks", "all"));
        assertThat(client).containsEntry("acks", "all").containsEntry("bootstrap.servers", "env:9092");
    }

    @Test
    void unknownProtocolOrMechanismAndPasswordWithoutUserAreRefused() {
        assertThatThrownBy(() -> KafkaClientSettings.security(Map.of(KafkaClientSettings.SECURITY_PROTOCOL, "TLS")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("FLEET_KAFKA_SECURITY_PROTOCOL");
        assertThatThrownBy(() -> KafkaClientSettings.security(Map.of(KafkaClientSettings.USERNAME, "u",
                KafkaClientSettings.SASL_MECHANISM, "GSSAPI")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("FLEET_KAFKA_SASL_MECHANISM");
        assertThatThrownBy(() -> KafkaClientSettings.security(Map.of(KafkaClientSettings.PASSWORD, "p")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("FLEET_KAFKA_USERNAME");
    }
}
