package io.wslfleet.orchestrator.bus;

import com.fasterxml.jackson.core.type.TypeReference;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import io.wslfleet.orchestrator.FleetConfig;
import io.wslfleet.protocol.Json;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Publishes outbox rows in id order and marks them sent. Rows are claimed with {@code FOR UPDATE SKIP LOCKED}, so
 * several orchestrator instances relay side by side without publishing a row twice. A crash between publishing and
 * marking re-publishes that batch with the same event ids, which every consumer deduplicates.
 */
@ApplicationScoped
public class OutboxRelay {
    private static final Logger LOG = Logger.getLogger(OutboxRelay.class);

    @Inject
    EntityManager em;
    @Inject
    Producer<String, byte[]> producer;
    @Inject
    FleetConfig config;
    @Inject
    Clock clock;

    @Scheduled(every = "${fleet.outbox.relay-every:0.25s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            delayed = "1s")
    void relayScheduled() {
        try {
            while (relayBatch() == config.outbox().batchSize()) {
                // a full batch: there may be more waiting
            }
        } catch (RuntimeException e) {
            LOG.warnf("outbox relay will retry: %s", e.getMessage());
        }
    }

    /** Relays one batch; returns how many rows it published. */
    public int relayBatch() {
        return QuarkusTransaction.requiringNew().call(() -> {
            @SuppressWarnings("unchecked")
            List<OutboxEvent> batch = em.createNativeQuery(
                            "select * from outbox where sent_at is null order by id limit :n for update skip locked",
                            OutboxEvent.class)
                    .setParameter("n", config.outbox().batchSize())
                    .getResultList();
            if (batch.isEmpty()) {
                return 0;
            }
            List<Future<RecordMetadata>> acks = new ArrayList<>(batch.size());
            for (OutboxEvent row : batch) {
                acks.add(producer.send(toRecord(row)));
            }
            producer.flush();
            for (Future<RecordMetadata> ack : acks) {
                ack.get(30, TimeUnit.SECONDS);
            }
            var now = clock.instant();
            for (OutboxEvent row : batch) {
                row.sentAt = now;
            }
            return batch.size();
        });
    }

    private static ProducerRecord<String, byte[]> toRecord(OutboxEvent row) throws Exception {
        Map<String, String> headers = Json.MAPPER.readValue(row.headers, new TypeReference<Map<String, String>>() {
        });
        RecordHeaders kafkaHeaders = new RecordHeaders();
        headers.forEach((k, v) -> kafkaHeaders.add(k, v.getBytes(StandardCharsets.UTF_8)));
        return new ProducerRecord<>(row.topic, null, row.key, row.payload, kafkaHeaders);
    }

    public long backlog() {
        return QuarkusTransaction.joiningExisting().call(() ->
                ((Number) em.createNativeQuery("select count(*) from outbox where sent_at is null").getSingleResult())
                        .longValue());
    }
}
