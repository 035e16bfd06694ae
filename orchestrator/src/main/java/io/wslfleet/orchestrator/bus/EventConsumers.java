package io.wslfleet.orchestrator.bus;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.smallrye.reactive.messaging.annotations.Blocking;
import io.wslfleet.orchestrator.machine.MachineRegistry;
import io.wslfleet.orchestrator.release.ReleaseCatalog;
import io.wslfleet.protocol.CloudEvent;
import io.wslfleet.orchestrator.FleetConfig;
import io.wslfleet.protocol.Backoff;
import io.wslfleet.protocol.EventDecoder;
import io.wslfleet.protocol.RejectReason;
import io.wslfleet.protocol.Retry;
import io.wslfleet.protocol.Topics;
import io.wslfleet.protocol.events.AgentEvent;
import io.wslfleet.protocol.events.BuildEvent;
import io.wslfleet.protocol.events.EventData;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import io.wslfleet.protocol.events.AgentHeartbeat;
import jakarta.annotation.PreDestroy;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.hibernate.FlushMode;
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
import java.util.function.Function;
import java.util.LinkedHashMap;
import java.util.Optional;
import io.wslfleet.orchestrator.trust.SecurityRefusals;
import io.wslfleet.protocol.events.ReleasePublished;
import io.wslfleet.protocol.trust.RecordSignatures;
import io.wslfleet.protocol.trust.TrustedKeys;
import jakarta.annotation.PostConstruct;

/**
 * Consumes agent events (in batches, as polled) and artifact events. Each record is decoded strictly by the protocol's
 * {@link EventDecoder}; what cannot be decoded goes to the dead-letter topic (final: retrying bad data never helps). A decoded event is applied once, in the same
 * transaction as its entry in the processed-event log; a failure to apply it that its data causes goes to the
 * dead-letter topic at once; a passing one (database unreachable, a lock timeout) is retried with backoff, and an
 * event that still cannot be applied goes to the dead-letter topic with the reason.
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
    FleetConfig config;
    @Inject
    MeterRegistry registry;
    @Inject
    SecurityRefusals refusals;
    private final Map<String, Timer> latencies = new ConcurrentHashMap<>();

    private final Map<String, EventDecoder> decoders = new ConcurrentHashMap<>();
    private TrustedKeys buildKeys;

    private ExecutorService ingestThreads;

    @PostConstruct
    void init() {
        buildKeys = TrustedKeys.parse(config.trust().buildKeys().orElse(""));
        AtomicInteger named = new AtomicInteger();
        ingestThreads = Executors.newFixedThreadPool(Math.max(1, config.ingest().threads() - 1), task -> {
            Thread thread = new Thread(task, "fleet-ingest-" + named.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    @PreDestroy
    void stop() {
        ingestThreads.shutdownNow();
    }

    /**
     * A poll of agent events, split by machine into {@code fleet.ingest.threads} shares applied side by side, each in
     * its own transaction (see {@link #consumeBatch}): a machine's events stay in their order on one thread, and no
     * two shares lock the same machine. The next poll waits for every share.
     */
    @Incoming(Topics.AGENT_EVENTS)
    @Blocking(ordered = true)
    public void onAgentEvents(ConsumerRecords<String, byte[]> records) {
        List<List<ConsumerRecord<String, byte[]>>> shares = byMachine(records, config.ingest().threads());
        List<Future<?>> others = new ArrayList<>(shares.size());
        for (List<ConsumerRecord<String, byte[]>> share : shares.subList(1, shares.size())) {
            others.add(ingestThreads.submit(() -> consumeAgentEvents(share)));
        }
        consumeAgentEvents(shares.get(0));
        for (Future<?> other : others) {
            try {
                other.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while a share of the poll was applied", e);
            } catch (ExecutionException e) {
                throw new IllegalStateException("a share of the poll failed", e.getCause());
            }
        }
    }

    /**
     * A share of a poll in one transaction. Its queries do not flush first: an automatic flush would check every
     * entity of the batch for changes before each of the few queries an event makes (a cost that grows with the square
     * of the batch), and none of those queries reads what the batch itself changes — machines and deployments are
     * read through the persistence context, which holds the batch's changes, and locked once per transaction. The
     * batch is flushed once, at its commit.
     */
    private void consumeAgentEvents(List<ConsumerRecord<String, byte[]>> records) {
        consumeBatch(records,
                events -> {
                    em.unwrap(Session.class).setHibernateFlushMode(FlushMode.COMMIT);
                    machines.lockAll(events.stream().map(e -> ((AgentEvent) e.data()).agentId()).toList());
                },
                valid -> machines.apply(castAgent(valid.event()), valid.record()));
    }

    /** The poll's records in at most {@code shares} lists by record key (the agent id), each in the poll's order. */
    static List<List<ConsumerRecord<String, byte[]>>> byMachine(Iterable<ConsumerRecord<String, byte[]>> records,
                                                               int shares) {
        List<List<ConsumerRecord<String, byte[]>>> split = new ArrayList<>(shares);
        for (int i = 0; i < Math.max(1, shares); i++) {
            split.add(new ArrayList<>());
        }
        for (ConsumerRecord<String, byte[]> record : records) {
            int share = record.key() == null ? 0 : Math.floorMod(record.key().hashCode(), split.size());
            split.get(share).add(record);
        }
        split.removeIf(List::isEmpty);
        if (split.isEmpty()) {
            split.add(List.of());
        }
        return split;
    }

    @Incoming(Topics.ARTIFACTS)
    @Blocking(ordered = true)
    public void onArtifactEvent(ConsumerRecord<String, byte[]> record) {
        decoder(record.topic()).accept(record, deadLetters::send)
                .filter(event -> signedByABuildKey(record, event))
                .ifPresent(event -> consumeOne(new Valid(record, event), valid -> {
                    releases.apply(castBuild(valid.event()));
                    return Optional.empty();
                }));
    }

    /** A build event counts only when a trusted build key signed its record: else it is dead-lettered, changing nothing. */
    private boolean signedByABuildKey(ConsumerRecord<String, byte[]> record, CloudEvent<? extends EventData> event) {
        RecordSignatures.Verification verification = RecordSignatures.verify(record, buildKeys);
        if (verification instanceof RecordSignatures.Verification.Refused refused) {
            String detail = "not signed by a trusted build key: " + refused.detail();
            deadLetters.send(record, RejectReason.UNAUTHENTICATED, detail);
            refusals.refused(event.source(), event.data() instanceof ReleasePublished ? "release" : "build",
                    record.key(), RejectReason.UNAUTHENTICATED, detail);
            return false;
        }
        return true;
    }

    /** Dead-letters, counts and audits what was refused for a reason of trust, once its batch committed. */
    private void refused(Valid valid, Refusal refusal) {
        deadLetters.send(valid.record(), refusal.reason(), refusal.detail());
        refusals.refused(valid.event().source(), "machine", valid.record().key(), refusal.reason(), refusal.detail());
    }

    /** A decoded event with the record it came in. */
    private record Valid(ConsumerRecord<String, byte[]> record, CloudEvent<? extends EventData> event) {
    }

    private EventDecoder decoder(String topic) {
        return decoders.computeIfAbsent(topic, t -> new EventDecoder(t, config.contract().toContract(), clock));
    }

    /**
     * A poll's worth of events in one transaction, in partition order: one round trip to record their ids in the
     * processed-event log, then each new one applied. Should the batch fail (a lock timeout, a deadlock victim, an
     * event that cannot be applied), it is rolled back whole and its events are applied one by one, each retried on
     * its own: a bad event costs its batch some speed, never another event's effect.
     */
    private void consumeBatch(List<ConsumerRecord<String, byte[]>> records,
                              Consumer<List<CloudEvent<? extends EventData>>> prepare,
                              Function<Valid, Optional<Refusal>> apply) {
        List<Valid> valid = new ArrayList<>(records.size());
        for (ConsumerRecord<String, byte[]> record : records) {
            decoder(record.topic()).accept(record, deadLetters::send).ifPresent(e -> valid.add(new Valid(record, e)));
        }
        if (valid.isEmpty()) {
            return;
        }
        String topic = valid.get(0).record().topic();
        try {
            Map<Valid, Optional<Refusal>> outcomes = QuarkusTransaction.requiringNew().call(() -> {
                Set<String> fresh = firstTimes(valid, topic);
                List<CloudEvent<? extends EventData>> events = new ArrayList<>(fresh.size());
                valid.stream().filter(v -> fresh.contains(v.event().id())).forEach(v -> events.add(v.event()));
                prepare.accept(events);
                Map<Valid, Optional<Refusal>> done = new LinkedHashMap<>();
                for (Valid v : valid) {
                    if (fresh.remove(v.event().id())) {
                        done.put(v, apply.apply(v));
                    }
                }
                return done;
            });
            Instant now = clock.instant();
            outcomes.forEach((v, refusal) -> {
                if (refusal.isPresent()) {
                    refused(v, refusal.get());
                } else {
                    latency(topic).record(Duration.between(v.event().time(), now));
                }
            });
        } catch (RuntimeException e) {
            LOG.warnf("a batch of %d events failed (%s); applying them one by one", valid.size(), e.getMessage());
            for (Valid v : valid) {
                consumeOne(v, apply);
            }
        }
    }

    /**
     * One event in its own transaction with its processed-event entry. A failure its data causes goes to the
     * dead-letter topic at once; a passing one is retried with backoff, and dead-lettered as PROCESSING_FAILED when
     * the retries are used up.
     */
    private void consumeOne(Valid valid, Function<Valid, Optional<Refusal>> apply) {
        CloudEvent<? extends EventData> event = valid.event();
        ConsumerRecord<String, byte[]> record = valid.record();
        Retry.Outcome<Optional<Optional<Refusal>>> outcome = Retry.run(() -> QuarkusTransaction.requiringNew().call(() -> {
            if (firstTimes(List.of(valid), record.topic()).isEmpty()) {
                return Optional.<Optional<Refusal>>empty();
            }
            return Optional.of(apply.apply(valid));
        }), ATTEMPTS, new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5)),
                e -> Failures.finalReason(e).isPresent(), Retry.THREAD_SLEEP);
        if (outcome instanceof Retry.Done<Optional<Optional<Refusal>>> done) {
            // empty: processed before (a redelivery); else applied, or refused
            done.value().ifPresent(refusal -> refusal.ifPresentOrElse(r -> refused(valid, r),
                    () -> latency(record.topic()).record(Duration.between(event.time(), clock.instant()))));
        } else if (outcome instanceof Retry.GaveUp<Optional<Optional<Refusal>>> gaveUp) {
            RuntimeException failure = gaveUp.failure();
            RejectReason reason = Failures.finalReason(failure).orElse(RejectReason.PROCESSING_FAILED);
            if (gaveUp.fatal()) {
                LOG.warnf("event %s cannot be applied (%s): %s", event.id(), reason, rootMessage(failure));
            } else {
                LOG.errorf(failure, "giving up on %s after %d attempts", event.id(), gaveUp.attempt());
            }
            deadLetters.send(record, reason, rootMessage(failure));
        }
    }

    private static String rootMessage(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root && !(root instanceof RejectedEvent)) {
            root = root.getCause();
        }
        String message = String.valueOf(root.getMessage());
        return message.length() <= 500 ? message : message.substring(0, 500) + " …[cut]";
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
     * already there was processed before (a redelivery) and is not applied again. Heartbeats get no row: all they
     * change is the machine's last state, which their agent's (epoch, sequence) already guards (a stale or repeated
     * heartbeat changes nothing), and at one a minute per machine they would be nearly all of the log.
     */
    private Set<String> firstTimes(List<Valid> events, String consumer) {
        Set<String> fresh = new HashSet<>();
        List<String> logged = new ArrayList<>(events.size());
        for (Valid v : events) {
            if (v.event().data() instanceof AgentHeartbeat) {
                fresh.add(v.event().id());
            } else {
                logged.add(v.event().id());
            }
        }
        if (logged.isEmpty()) {
            return fresh;
        }
        Timestamp at = Timestamp.from(clock.instant());
        em.unwrap(Session.class).doWork(connection -> {
            try (PreparedStatement insert = connection.prepareStatement("insert into processed_event "
                    + "(event_id, consumer, processed_at) select id, ?, ? from unnest(?) as id "
                    + "on conflict do nothing returning event_id")) {
                insert.setString(1, consumer);
                insert.setTimestamp(2, at);
                insert.setArray(3, connection.createArrayOf("text", logged.toArray()));
                try (ResultSet rows = insert.executeQuery()) {
                    while (rows.next()) {
                        fresh.add(rows.getString(1));
                    }
                }
            }
        });
        return fresh;
    }

    @SuppressWarnings("unchecked")
    private static CloudEvent<? extends AgentEvent> castAgent(CloudEvent<? extends EventData> event) {
        return (CloudEvent<? extends AgentEvent>) event;
    }

    @SuppressWarnings("unchecked")
    private static CloudEvent<? extends BuildEvent> castBuild(CloudEvent<? extends EventData> event) {
        return (CloudEvent<? extends BuildEvent>) event;
    }
}
