package io.wslfleet.orchestrator.bus;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import io.wslfleet.orchestrator.FleetConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Keeps the outbox and the processed-event log at a size set by the event rate, not by the fleet's age: published
 * outbox rows go after {@code fleet.outbox.keep-sent}; a processed-event row goes once its event could no longer be
 * accepted again. The contract refuses an event whose {@code ce_time} is more than {@code max-past} before (or
 * {@code max-future} after) the consumer's clock, so a redelivery of an event processed at {@code p} is refused by the
 * decoder after {@code p + max-past + max-future} whatever the log says: that sum is the retry horizon. Agent events
 * are idempotent by their agent's (epoch, sequence) in any case; the log spares them the work and their refusals a
 * second dead letter.
 */
@ApplicationScoped
public class TableRetention {
    private static final Logger LOG = Logger.getLogger(TableRetention.class);
    /** Rows deleted per statement and transaction: a backlog of millions goes in bounded steps. */
    static final int CHUNK = 20_000;

    @Inject
    EntityManager em;
    @Inject
    Clock clock;
    @Inject
    FleetConfig config;

    @Scheduled(every = "${fleet.retention.every:1m}", delayed = "20s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void applyScheduled() {
        try {
            Pruned pruned = apply();
            if (pruned.outboxRows() + pruned.processedEvents() > 0) {
                LOG.debugf("retention deleted %d sent outbox rows and %d processed-event rows",
                        pruned.outboxRows(), pruned.processedEvents());
            }
        } catch (RuntimeException e) {
            LOG.warnf("retention will retry: %s", e.getMessage());
        }
    }

    /** How many rows one pass deleted. */
    public record Pruned(long outboxRows, long processedEvents) {
    }

    public Pruned apply() {
        Instant now = clock.instant();
        long outbox = deleteInChunks("delete from outbox where id in (select id from outbox "
                + "where sent_at < ?1 limit " + CHUNK + ")", now.minus(config.outbox().keepSent()));
        long processed = deleteInChunks("delete from processed_event where event_id in (select event_id from "
                + "processed_event where processed_at < ?1 limit " + CHUNK + ")", now.minus(retryHorizon()));
        return new Pruned(outbox, processed);
    }

    /** How long after processing an event a redelivery of it can still pass the decoder. */
    public Duration retryHorizon() {
        return config.contract().maxPast().plus(config.contract().maxFuture());
    }

    private long deleteInChunks(String sql, Instant before) {
        long total = 0;
        int deleted;
        do {
            deleted = QuarkusTransaction.requiringNew().call(() -> em.createNativeQuery(sql)
                    .setParameter(1, before).executeUpdate());
            total += deleted;
        } while (deleted == CHUNK);
        return total;
    }
}
