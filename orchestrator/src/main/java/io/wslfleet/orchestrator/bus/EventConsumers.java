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
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * Consumes agent events and artifact events. Each record is decoded; what cannot be decoded goes to the dead-letter
 * topic (fatal: retrying bad data never helps). A decoded event is applied once, in one transaction with its entry in
 * the processed-event log; a failure to apply it (database unreachable, a lock timeout) is retried with backoff.
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

    @Incoming(Topics.AGENT_EVENTS)
    @Blocking(ordered = true)
    public void onAgentEvent(ConsumerRecord<String, byte[]> record) {
        consume(record, AgentEvent.class, event -> machines.apply(castAgent(event)));
    }

    @Incoming(Topics.ARTIFACTS)
    @Blocking(ordered = true)
    public void onArtifactEvent(ConsumerRecord<String, byte[]> record) {
        consume(record, BuildEvent.class, event -> releases.apply(castBuild(event)));
    }

    private void consume(ConsumerRecord<String, byte[]> record, Class<? extends EventData> expected,
                         Consumer<CloudEvent<? extends EventData>> apply) {
        Decoded decoded = EventCodec.decode(record);
        if (decoded instanceof Decoded.Rejected rejected) {
            deadLetters.send(record, rejected.reason(), rejected.detail());
            return;
        }
        CloudEvent<? extends EventData> event = ((Decoded.Event) decoded).event();
        if (!expected.isInstance(event.data())) {
            deadLetters.send(record, RejectReason.UNKNOWN_TYPE,
                    event.type().ceType() + " does not belong on " + record.topic());
            return;
        }
        long backoffMs = 100;
        for (int attempt = 1; ; attempt++) {
            try {
                boolean applied = QuarkusTransaction.requiringNew().call(() -> {
                    if (!firstTime(event.id(), record.topic())) {
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
        return Timer.builder("fleet.events.latency").description("event time to its effect committed")
                .tag("topic", topic).publishPercentiles(0.5, 0.9, 0.99).register(registry);
    }

    /** Records the event id; false when it was processed before (a redelivery), in which case nothing is applied. */
    private boolean firstTime(String eventId, String consumer) {
        int inserted = em.createNativeQuery("insert into processed_event (event_id, consumer, processed_at) "
                        + "values (:id, :consumer, :at) on conflict do nothing")
                .setParameter("id", eventId)
                .setParameter("consumer", consumer)
                .setParameter("at", clock.instant())
                .executeUpdate();
        return inserted == 1;
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
