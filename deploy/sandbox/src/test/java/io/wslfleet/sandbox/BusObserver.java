package io.wslfleet.sandbox;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import io.wslfleet.embedded.KafkaRole;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * An operator's view of the bus for a test: every record of the given topics from the beginning, as the admin
 * principal (the only one that may read them all), kept in {@link #seen()} by a thread of its own.
 */
final class BusObserver implements AutoCloseable {
    private final List<ConsumerRecord<String, byte[]>> seen = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile boolean observing = true;

    BusObserver(LocalFleet fleet, String group, Collection<String> topics) {
        Map<String, Object> admin = fleet.infra().kafkaClientProperties(KafkaRole.ADMIN);
        admin.putAll(Map.of("group.id", group, "auto.offset.reset", "earliest"));
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(admin, new StringDeserializer(),
                new ByteArrayDeserializer());
        consumer.subscribe(topics);
        thread = new Thread(() -> {
            while (observing) {
                consumer.poll(Duration.ofMillis(200)).forEach(seen::add);
            }
            consumer.close();
        }, group);
        thread.start();
    }

    List<ConsumerRecord<String, byte[]>> seen() {
        return seen;
    }

    @Override
    public void close() throws InterruptedException {
        observing = false;
        thread.join(5_000);
    }
}
