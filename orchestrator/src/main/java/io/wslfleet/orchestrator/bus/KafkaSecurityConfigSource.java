package io.wslfleet.orchestrator.bus;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import io.wslfleet.protocol.kafka.KafkaClientSettings;
import org.eclipse.microprofile.config.spi.ConfigSource;

/**
 * The fleet's Kafka client convention ({@code FLEET_KAFKA_*}, see {@link KafkaClientSettings}) as Quarkus
 * {@code kafka.*} properties, which apply to every channel, the Kafka health check and {@link KafkaClients}'
 * producer. Ordinal 275: above application.properties (250), below environment variables (300), so a
 * {@code KAFKA_SECURITY_PROTOCOL}-style variable still wins.
 */
public class KafkaSecurityConfigSource implements ConfigSource {

    private final Map<String, String> properties;

    public KafkaSecurityConfigSource() {
        this(System.getenv());
    }

    KafkaSecurityConfigSource(Map<String, String> env) {
        Map<String, String> props = new LinkedHashMap<>();
        KafkaClientSettings.security(env).forEach((k, v) -> props.put("kafka." + k, String.valueOf(v)));
        this.properties = Collections.unmodifiableMap(props);
    }

    @Override
    public Map<String, String> getProperties() {
        return properties;
    }

    @Override
    public Set<String> getPropertyNames() {
        return properties.keySet();
    }

    @Override
    public String getValue(String propertyName) {
        return properties.get(propertyName);
    }

    @Override
    public String getName() {
        return "fleet-kafka-security (FLEET_KAFKA_*)";
    }

    @Override
    public int getOrdinal() {
        return 275;
    }
}
