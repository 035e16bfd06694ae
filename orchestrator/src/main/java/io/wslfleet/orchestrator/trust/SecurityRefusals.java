package io.wslfleet.orchestrator.trust;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.wslfleet.orchestrator.audit.AuditLog;
import io.wslfleet.protocol.RejectReason;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the orchestrator refused to believe: every refusal counts in {@code fleet_security_refusals_total{reason}},
 * and leaves an audit entry, bounded so that a flood of forgeries cannot fill the database: at most one entry per
 * entity and reason per minute, and at most {@value #MAX_ENTRIES_PER_MINUTE} a minute in all (the metric counts
 * every one).
 */
@ApplicationScoped
public class SecurityRefusals {
    private static final Logger LOG = Logger.getLogger(SecurityRefusals.class);
    static final int MAX_ENTRIES_PER_MINUTE = 120;
    private static final Duration QUIET = Duration.ofMinutes(1);
    private static final int MAX_DETAIL = 500;

    @Inject
    MeterRegistry registry;
    @Inject
    AuditLog audit;
    @Inject
    Clock clock;

    private final Map<String, Instant> lastAudited = new ConcurrentHashMap<>();
    private final AtomicInteger inThisMinute = new AtomicInteger();
    private volatile long minute;

    /** Counts and (bounded) audits a refusal, in a transaction of its own: call it outside any lock. */
    public void refused(String actor, String entity, String entityId, RejectReason reason, String detail) {
        count(reason.name());
        if (dueForAudit(entity, entityId, reason.name())) {
            QuarkusTransaction.requiringNew().run(() -> write(actor, entity, entityId, reason.name(), detail));
        }
    }

    /** The same for a refusal found while applying an event that otherwise stands (an enrolment token refused). */
    public void noteInTransaction(String actor, String entity, String entityId, String reason, String detail) {
        count(reason);
        if (dueForAudit(entity, entityId, reason)) {
            write(actor, entity, entityId, reason, detail);
        }
    }

    public void count(String reason) {
        registry.counter("fleet.security.refusals", "reason", reason).increment();
    }

    private void write(String actor, String entity, String entityId, String reason, String detail) {
        audit.record(cut(actor, 200), "REFUSED", entity, cut(entityId, 200), null, reason + ": " + cut(detail, MAX_DETAIL));
    }

    /** Whether this refusal gets an audit entry: the first of its kind this minute, within the overall bound. */
    boolean dueForAudit(String entity, String entityId, String reason) {
        Instant now = clock.instant();
        long thisMinute = now.getEpochSecond() / 60;
        if (thisMinute != minute) {
            minute = thisMinute;
            inThisMinute.set(0);
            if (lastAudited.size() > 10_000) {
                lastAudited.values().removeIf(at -> at.isBefore(now.minus(QUIET)));
            }
        }
        String key = entity + "|" + entityId + "|" + reason;
        Instant last = lastAudited.get(key);
        if (last != null && now.isBefore(last.plus(QUIET))) {
            return false;
        }
        if (inThisMinute.incrementAndGet() > MAX_ENTRIES_PER_MINUTE) {
            if (inThisMinute.get() == MAX_ENTRIES_PER_MINUTE + 1) {
                LOG.warnf("more than %d security refusals this minute: only counting them now", MAX_ENTRIES_PER_MINUTE);
            }
            return false;
        }
        lastAudited.put(key, now);
        return true;
    }

    private static String cut(String text, int max) {
        if (text == null) {
            return "";
        }
        return text.length() <= max ? text : text.substring(0, max) + " …[cut]";
    }
}
