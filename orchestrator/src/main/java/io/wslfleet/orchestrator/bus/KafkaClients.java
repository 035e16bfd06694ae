package io.wslfleet.orchestrator.bus;

import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * The plain Kafka producer used by the outbox relay and the dead-letter path: both must know a record is acknowledged
 * before they mark it done, which a synchronous send on an idempotent producer gives directly.
 */
@ApplicationScoped
public class KafkaClients {

    @Produces
    @ApplicationScoped
    Producer<String, byte[]> producer(@Identifier("default-kafka-broker") Map<String, Object> kafka) {
        // every kafka.* property (bootstrap, security: see KafkaSecurityConfigSource), then this producer's own
        Map<String, Object> props = new HashMap<>(kafka);
        props.putAll(Map.of(
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, 5,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000,
                ProducerConfig.CLIENT_ID_CONFIG, "orchestrator"));
        return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }

    void close(@Disposes Producer<String, byte[]> producer) {
        producer.close(Duration.ofSeconds(5));
    }

    @Produces
    @ApplicationScoped
    Clock clock() {
        return Clock.systemUTC();
    }
}
