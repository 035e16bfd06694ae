package io.wslfleet.orchestrator.bus;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.smallrye.reactive.messaging.annotations.Blocking;
import io.wslfleet.orchestrator.machine.MachineRegistry;
import io.wslfleet.orchestrator.release.ReleaseCatalog;
import io.wslfleet.protocol.CloudEvent;
import io.wslfleet.protocol.Decoded;
import io.wslfleet.protocol.EventCodec;
import io.wslfleet.protocol.RejectReason;
import io.wslfleet.protocol.Topics;
import io.wslfleet.protocol.events.AgentEvent;
import io.wslfleet.protocol.events.BuildEvent;
import io.wslfleet.protocol.events.EventData;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.hibernate.Session;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Consumes agent events (in batches, as polled) and artifact events. Each record is decoded; what cannot be decoded
 * goes to the dead-letter topic (fatal: retrying bad data never helps). A decoded event is applied once, in the same
 * transaction as its entry in the processed-event log; a failure to apply it (database unreachable, a lock timeout)
 * is retried with backoff, and an event that still cannot be applied goes to the dead-letter topic with the reason.
 */
@ApplicationScoped
public class EventConsumers {
    private static final Logger LOG = Logger.getLogger(EventConsumers.class);
    private static final int ATTEMPTS = 6;

    @Inject
    MachineRegistry machines;
    @Inject
    ReleaseCatalog releases;
    @Inject
    DeadLetters deadLetters;
    @Inject
    EntityManager em;
    @Inject
    Clock clock;
    @Inject
    MeterRegistry registry;
    private final Map<String, Timer> latencies = new ConcurrentHashMap<>();

    @Incoming(Topics.AGENT_EVENTS)
    @Blocking(ordered = true)
    public void onAgentEvents(ConsumerRecords<String, byte[]> records) {
        consumeBatch(records, AgentEvent.class,
                events -> machines.lockAll(events.stream().map(e -> ((AgentEvent) e.data()).agentId()).toList()),
                event -> machines.apply(castAgent(event)));
    }

    @Incoming(Topics.ARTIFACTS)
    @Blocking(ordered = true)
    public void onArtifactEvent(ConsumerRecord<String, byte[]> record) {
        Valid valid = validate(record, BuildEvent.class);
        if (valid != null) {
            consumeOne(valid, event -> releases.apply(castBuild(event)));
        }
    }

    /** A decoded event of the expected kind, with the record it came in. */
    private record Valid(ConsumerRecord<String, byte[]> record, CloudEvent<? extends EventData> event) {
    }

    /** Decodes a record; what cannot be decoded, or does not belong on its topic, goes to the dead-letter topic. */
    private Valid validate(ConsumerRecord<String, byte[]> record, Class<? extends EventData> expected) {
        Decoded decoded = EventCodec.decode(record);
        if (decoded instanceof Decoded.Rejected rejected) {
            deadLetters.send(record, rejected.reason(), rejected.detail());
            return null;
        }
        CloudEvent<? extends EventData> event = ((Decoded.Event) decoded).event();
        if (!expected.isInstance(event.data())) {
            deadLetters.send(record, RejectReason.UNKNOWN_TYPE,
                    event.type().ceType() + " does not belong on " + record.topic());
            return null;
        }
        return new Valid(record, event);
    }

    /**
     * A poll's worth of events in one transaction, in partition order: one round trip to record their ids in the
     * processed-event log, then each new one applied. Should the batch fail (a lock timeout, a deadlock victim, an
     * event that cannot be applied), it is rolled back whole and its events are applied one by one, each retried on
     * its own: a bad event costs its batch some speed, never another event's effect.
     */
    private void consumeBatch(ConsumerRecords<String, byte[]> records, Class<? extends EventData> expected,
                              Consumer<List<CloudEvent<? extends EventData>>> prepare,
                              Consumer<CloudEvent<? extends EventData>> apply) {
        List<Valid> valid = new ArrayList<>(records.count());
        for (ConsumerRecord<String, byte[]> record : records) {
            Valid v = validate(record, expected);
            if (v != null) {
                valid.add(v);
            }
        }
        if (valid.isEmpty()) {
            return;
        }
        String topic = valid.get(0).record().topic();
        try {
            List<Valid> applied = QuarkusTransaction.requiringNew().call(() -> {
                Set<String> fresh = firstTimes(valid, topic);
                List<CloudEvent<? extends EventData>> events = new ArrayList<>(fresh.size());
                valid.stream().filter(v -> fresh.contains(v.event().id())).forEach(v -> events.add(v.event()));
                prepare.accept(events);
                List<Valid> done = new ArrayList<>(fresh.size());
                for (Valid v : valid) {
                    if (fresh.remove(v.event().id())) {
                        apply.accept(v.event());
                        done.add(v);
                    }
                }
                return done;
            });
            Instant now = clock.instant();
            for (Valid v : applied) {
                latency(topic).record(Duration.between(v.event().time(), now));
            }
        } catch (RuntimeException e) {
            LOG.warnf("a batch of %d events failed (%s); applying them one by one", valid.size(), e.getMessage());
            for (Valid v : valid) {
                consumeOne(v, apply);
            }
        }
    }

    /** One event in its own transaction with its processed-event entry, retried with backoff. */
    private void consumeOne(Valid valid, Consumer<CloudEvent<? extends EventData>> apply) {
        CloudEvent<? extends EventData> event = valid.event();
        ConsumerRecord<String, byte[]> record = valid.record();
        long backoffMs = 100;
        for (int attempt = 1; ; attempt++) {
            try {
                boolean applied = QuarkusTransaction.requiringNew().call(() -> {
                    if (firstTimes(List.of(valid), record.topic()).isEmpty()) {
                        return false;
                    }
                    apply.accept(event);
                    return true;
                });
                if (applied) {
                    latency(record.topic()).record(Duration.between(event.time(), clock.instant()));
                }
                return;
            } catch (RuntimeException e) {
                if (attempt == ATTEMPTS) {
                    LOG.errorf(e, "giving up on %s after %d attempts", event.id(), attempt);
                    deadLetters.send(record, RejectReason.PROCESSING_FAILED, String.valueOf(e.getMessage()));
                    return;
                }
                LOG.warnf("applying %s failed (attempt %d), retrying: %s", event.id(), attempt, e.getMessage());
                sleep(backoffMs);
                backoffMs = Math.min(backoffMs * 2, 5_000);
            }
        }
    }

    /**
     * Event-to-database latency: from the event's {@code ce_time} (when its producer made it) to its effect committed
     * here. With the producer's clock in it, so only as exact as the clocks agree; a growing value is a consumer
     * falling behind.
     */
    private Timer latency(String topic) {
        return latencies.computeIfAbsent(topic, t -> Timer.builder("fleet.events.latency")
                .description("event time to its effect committed")
                .tag("topic", t).publishPercentiles(0.5, 0.9, 0.99).register(registry));
    }

    /**
     * Records the events' ids in the processed-event log in one statement and returns those recorded now: an id
     * already there was processed before (a redelivery) and is not applied again.
     */
    private Set<String> firstTimes(List<Valid> events, String consumer) {
        String[] ids = events.stream().map(v -> v.event().id()).toArray(String[]::new);
        Timestamp at = Timestamp.from(clock.instant());
        return em.unwrap(Session.class).doReturningWork(connection -> {
            try (PreparedStatement insert = connection.prepareStatement("insert into processed_event "
                    + "(event_id, consumer, processed_at) select id, ?, ? from unnest(?) as id "
                    + "on conflict do nothing returning event_id")) {
                insert.setString(1, consumer);
                insert.setTimestamp(2, at);
                insert.setArray(3, connection.createArrayOf("text", ids));
                Set<String> fresh = new HashSet<>();
                try (ResultSet rows = insert.executeQuery()) {
                    while (rows.next()) {
                        fresh.add(rows.getString(1));
                    }
                }
                return fresh;
            }
        });
    }

    @SuppressWarnings("unchecked")
    private static CloudEvent<? extends AgentEvent> castAgent(CloudEvent<? extends EventData> event) {
        return (CloudEvent<? extends AgentEvent>) event;
    }

    @SuppressWarnings("unchecked")
    private static CloudEvent<? extends BuildEvent> castBuild(CloudEvent<? extends EventData> event) {
        return (CloudEvent<? extends BuildEvent>) event;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
