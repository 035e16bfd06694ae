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
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import com.fasterxml.jackson.core.JsonProcessingException;
import org.hibernate.Session;
import java.time.Clock;
import io.wslfleet.orchestrator.machine.Enrolment;
import io.wslfleet.orchestrator.trust.CommandSigner;
import io.wslfleet.protocol.Topics;
import io.wslfleet.protocol.trust.RecordSignatures;
import io.wslfleet.protocol.trust.Signer;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Publishes outbox rows in id order, each signed with the orchestrator's current key ({@link CommandSigner}), and
 * marks them sent; a command for a machine not admitted (any more) is withheld: marked sent, with the reason, never
 * published. Signatures are made on every core, records sent in id order. Rows are claimed with {@code FOR UPDATE SKIP LOCKED}, so
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
    @Inject
    CommandSigner signer;
    @Inject
    io.wslfleet.orchestrator.ops.ScheduledWork scheduledWork;

    @Scheduled(every = "${fleet.outbox.relay-every:0.25s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            delayed = "1s")
    void relayScheduled() {
        scheduledWork.run(() -> {
            try {
                while (relayBatch() == config.outbox().batchSize() && !scheduledWork.stopping()) {
                    // a full batch: there may be more waiting
                }
            } catch (RuntimeException e) {
                LOG.warnf("outbox relay will retry: %s", e.getMessage());
            }
        });
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
            Set<String> admitted = admittedAmong(batch);
            List<OutboxEvent> publishing = new ArrayList<>(batch.size());
            for (OutboxEvent row : batch) {
                if (Topics.COMMANDS.equals(row.topic) && !admitted.contains(row.key)) {
                    // revoked, decommissioned or never admitted since the command was decided: it is not sent
                    LOG.warnf("withholding command %s: %s is not an admitted machine", row.eventId, row.key);
                    row.withheld = "NOT_ADMITTED";
                    row.sentAt = clock.instant();
                } else {
                    publishing.add(row);
                }
            }
            // signing (an Ed25519 signature each) on every core; sending in id order
            Signer signing = signer.current();
            List<ProducerRecord<String, byte[]>> signed = publishing.parallelStream()
                    .map(row -> RecordSignatures.sign(toRecord(row), signing)).toList();
            List<Future<RecordMetadata>> acks = new ArrayList<>(signed.size());
            for (ProducerRecord<String, byte[]> record : signed) {
                acks.add(producer.send(record));
            }
            producer.flush();
            for (Future<RecordMetadata> ack : acks) {
                ack.get(30, TimeUnit.SECONDS);
            }
            markSent(publishing);
            return batch.size();
        });
    }

    /** One statement for the batch; {@link TableRetention} deletes the rows after {@code fleet.outbox.keep-sent}. */
    private void markSent(List<OutboxEvent> rows) {
        if (rows.isEmpty()) {
            return;
        }
        Timestamp now = Timestamp.from(clock.instant());
        Object[] ids = rows.stream().map(r -> r.id).toArray();
        em.unwrap(Session.class).doWork(connection -> {
            try (PreparedStatement update = connection.prepareStatement(
                    "update outbox set sent_at = ? where id = any (?)")) {
                update.setTimestamp(1, now);
                update.setArray(2, connection.createArrayOf("bigint", ids));
                update.executeUpdate();
            }
        });
    }

    /** The machines among the batch's command recipients that are admitted to the fleet now. */
    private Set<String> admittedAmong(List<OutboxEvent> batch) {
        List<String> recipients = batch.stream().filter(r -> Topics.COMMANDS.equals(r.topic)).map(r -> r.key)
                .distinct().toList();
        if (recipients.isEmpty()) {
            return Set.of();
        }
        return new HashSet<>(em.createQuery("select m.id from Machine m where m.id in :ids and m.enrolment = :accepted",
                        String.class).setParameter("ids", recipients).setParameter("accepted", Enrolment.ACCEPTED)
                .getResultList());
    }

    private static ProducerRecord<String, byte[]> toRecord(OutboxEvent row) {
        Map<String, String> headers;
        try {
            headers = Json.MAPPER.readValue(row.headers, new TypeReference<Map<String, String>>() {
            });
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("outbox row " + row.id + " has unreadable headers", e);
        }
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
