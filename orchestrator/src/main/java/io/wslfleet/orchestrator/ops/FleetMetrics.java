package io.wslfleet.orchestrator.ops;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.wslfleet.orchestrator.FleetConfig;
import io.wslfleet.orchestrator.rollout.DeploymentState;
import io.wslfleet.orchestrator.rollout.RolloutState;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Fleet gauges for Prometheus ({@code /q/metrics}), refreshed every 10 s from the database rather than on scrape:
 * rollouts by state, deployments by state, machines by health, the outbox backlog (unsent commands) and the age of
 * its oldest row. Also the health-history retention job.
 */
@ApplicationScoped
public class FleetMetrics {
    private static final Logger LOG = Logger.getLogger(FleetMetrics.class);

    @Inject
    ScheduledWork scheduledWork;
    @Inject
    MeterRegistry registry;
    @Inject
    EntityManager em;
    @Inject
    FleetConfig config;
    @Inject
    Clock clock;

    private final Map<String, AtomicLong> values = new ConcurrentHashMap<>();

    void onStart(@Observes StartupEvent event) {
        for (RolloutState s : RolloutState.values()) {
            gauge("fleet.rollouts", "state", s.name());
        }
        for (DeploymentState s : DeploymentState.values()) {
            gauge("fleet.deployments", "state", s.name());
        }
        for (String h : new String[] {"healthy", "degraded", "failed", "absent", "unknown"}) {
            gauge("fleet.machines", "health", h);
        }
        gauge("fleet.outbox.backlog", null, null);
        gauge("fleet.outbox.oldest.seconds", null, null);
    }

    private void gauge(String name, String tag, String value) {
        AtomicLong holder = values.computeIfAbsent(key(name, value), k -> new AtomicLong());
        Gauge.Builder<AtomicLong> builder = Gauge.builder(name, holder, AtomicLong::get);
        if (tag != null) {
            builder.tag(tag, value);
        }
        builder.register(registry);
    }

    private static String key(String name, String value) {
        return value == null ? name : name + "|" + value;
    }

    @Scheduled(every = "10s", delayed = "2s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void refresh() {
        scheduledWork.run(this::refreshNow);
    }

    private void refreshNow() {
        try {
            QuarkusTransaction.requiringNew().run(() -> {
                values.values().forEach(v -> v.set(0));
                count("select state, count(*) from rollout group by state", "fleet.rollouts");
                count("select state, count(*) from deployment group by state", "fleet.deployments");
                count("select health_state, count(*) from machine group by health_state", "fleet.machines");
                Object[] outbox = (Object[]) em.createNativeQuery(
                        "select count(*), coalesce(extract(epoch from now() - min(created_at)), 0) from outbox where sent_at is null")
                        .getSingleResult();
                values.get("fleet.outbox.backlog").set(((Number) outbox[0]).longValue());
                values.get("fleet.outbox.oldest.seconds").set(((Number) outbox[1]).longValue());
            });
        } catch (RuntimeException e) {
            LOG.debugf(e, "metrics refresh failed");
        }
    }

    private void count(String sql, String name) {
        for (Object o : em.createNativeQuery(sql).getResultList()) {
            Object[] row = (Object[]) o;
            AtomicLong holder = values.get(key(name, String.valueOf(row[0])));
            if (holder != null) {
                holder.set(((Number) row[1]).longValue());
            }
        }
    }

    /** Deletes health reports past the retention; the machine row keeps the latest health either way. */
    @Scheduled(every = "1h", delayed = "30s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void applyRetention() {
        scheduledWork.run(this::applyRetentionNow);
    }

    private void applyRetentionNow() {
        int deleted = purgeHealthReports();
        if (deleted > 0) {
            LOG.infof("deleted %d health reports older than %s", deleted, config.healthRetention());
        }
    }

    public int purgeHealthReports() {
        return QuarkusTransaction.requiringNew().call(() -> em.createNativeQuery(
                        "delete from health_report where reported_at < ?1")
                .setParameter(1, clock.instant().minus(config.healthRetention())).executeUpdate());
    }
}
