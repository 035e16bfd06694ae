package io.wslfleet.agent;

import java.util.Map;

import io.wslfleet.protocol.kafka.KafkaClientSettings;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The agent's Kafka clients, with the security of the {@code FLEET_KAFKA_*} convention: an idempotent producer
 * (acks=all) and a consumer under the agent's own group id, no auto-commit. Buffers are kept small: an agent sends a few events a minute.
 */
final class KafkaClients {

    private KafkaClients() {
    }

    static KafkaProducer<String, byte[]> producer(AgentConfig config) {
        return new KafkaProducer<>(KafkaClientSettings.forClient(config.kafkaSecurity(), config.kafkaBootstrap(), Map.of(
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.BUFFER_MEMORY_CONFIG, 4L * 1024 * 1024,
                ProducerConfig.CLIENT_ID_CONFIG, "agent-" + config.agentId())),
                new StringSerializer(), new ByteArraySerializer());
    }

    static KafkaConsumer<String, byte[]> consumer(AgentConfig config) {
        return new KafkaConsumer<>(KafkaClientSettings.forClient(config.kafkaSecurity(), config.kafkaBootstrap(), Map.of(
                ConsumerConfig.GROUP_ID_CONFIG, "agent-" + config.agentId().replace('/', '_'),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 4 * 1024 * 1024,
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 1024 * 1024,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 50)),
                new StringDeserializer(), new ByteArrayDeserializer());
    }
}
