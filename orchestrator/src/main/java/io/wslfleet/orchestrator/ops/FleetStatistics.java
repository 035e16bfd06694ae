package io.wslfleet.orchestrator.ops;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.wslfleet.orchestrator.FleetConfig;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The fleet counted: by health (offline when silent too long), by release and generation, by WSL version; and the
 * rings, WSL versions and releases machines have, for the machine list's filters. All of it comes from one pass over
 * the machine table ({@link Snapshot}), shared by the pages of the next {@code fleet.statistics-max-age} and renewed
 * in the background while pages keep asking: at a million machines a pass takes about a second, too long to repeat
 * for every page, or to make a page wait for.
 */
@ApplicationScoped
public class FleetStatistics {
    private static final Logger LOG = Logger.getLogger(FleetStatistics.class);
    /** Machines still in the fleet: decommissioned ones are kept for their history only. */
    private static final String IN_FLEET = " from machine where enrolment <> 'DECOMMISSIONED' ";
    /** At most this many distinct values are kept per filter. */
    static final int CHOICES = 100;

    @Inject
    EntityManager em;
    @Inject
    Clock clock;
    @Inject
    FleetConfig config;

    private volatile Snapshot last;

    public record Count(String key, long count) {
    }

    /** The counts of one pass, most first, and when they were taken. */
    public record Snapshot(List<Count> byHealth, List<Count> byReleaseAndGeneration, List<Count> byWslVersion,
                           List<String> rings, List<String> wslVersions, List<String> releases, Instant takenAt) {
    }

    /** Machines by health, {@code offline} for those not heard from within {@code fleet.offline-after}; most first. */
    public List<Count> byHealth() {
        return snapshot().byHealth();
    }

    /** The {@code limit} most common release and generation pairs. */
    public List<Count> byReleaseAndGeneration(int limit) {
        return first(snapshot().byReleaseAndGeneration(), limit);
    }

    public List<Count> byWslVersion(int limit) {
        return first(snapshot().byWslVersion(), limit);
    }

    /** The values a machine list can be filtered by: the rings, WSL versions and releases machines have. */
    public List<String> rings() {
        return snapshot().rings();
    }

    public List<String> wslVersions() {
        return snapshot().wslVersions();
    }

    public List<String> releases() {
        return snapshot().releases();
    }

    /**
     * The last pass if it is younger than {@code fleet.statistics-max-age}; if it is older, but by less than
     * {@value #STALE_FACTOR} times that, still the last pass, while a new one is taken in the background (one at a
     * time), so that no page waits for a pass while the dashboard is in use; else a new pass, waited for.
     */
    public Snapshot snapshot() {
        Instant now = clock.instant();
        Snapshot known = last;
        Duration maxAge = config.statisticsMaxAge();
        if (known != null && now.isBefore(known.takenAt().plus(maxAge))) {
            return known;
        }
        if (known != null && now.isBefore(known.takenAt().plus(maxAge.multipliedBy(STALE_FACTOR)))) {
            refreshInBackground();
            return known;
        }
        Snapshot taken = count(now);
        last = taken;
        return taken;
    }

    static final int STALE_FACTOR = 6;
    private final AtomicBoolean refreshing = new AtomicBoolean();
    private final ExecutorService refresher = Executors.newSingleThreadExecutor(task -> {
        Thread thread = new Thread(task, "fleet-statistics");
        thread.setDaemon(true);
        return thread;
    });

    private void refreshInBackground() {
        if (!refreshing.compareAndSet(false, true)) {
            return;
        }
        refresher.execute(() -> {
            try {
                last = QuarkusTransaction.requiringNew().call(() -> count(clock.instant()));
            } catch (RuntimeException e) {
                LOG.debugf("fleet counts not refreshed, the next page tries again: %s", e.getMessage());
            } finally {
                refreshing.set(false);
            }
        });
    }

    @PreDestroy
    void stop() {
        refresher.shutdownNow();
    }

    /**
     * One scan of the machine table with a grouping set per figure: (health), (release and generation), (WSL
     * version), (ring), (release).
     */
    private Snapshot count(Instant now) {
        List<?> rows = em.createNativeQuery("select grouping(h, rg, w, ring, current_release_id), h, rg, w, ring, "
                + "current_release_id, count(*) from (select case when last_seen_at < ?1 then 'offline' else "
                + "health_state end as h, coalesce(current_release_id, '(none)') || ' · gen ' || "
                + "coalesce(current_generation::text, '-') as rg, wsl_version as w, ring, "
                + "current_release_id" + IN_FLEET + ") m group by grouping sets ((h), (rg), (w), (ring), "
                + "(current_release_id))").setParameter(1, now.minus(config.offlineAfter())).getResultList();
        List<Count> health = new ArrayList<>();
        List<Count> releaseAndGeneration = new ArrayList<>();
        List<Count> wsl = new ArrayList<>();
        List<String> rings = new ArrayList<>();
        List<String> wslVersions = new ArrayList<>();
        List<String> releases = new ArrayList<>();
        for (Object o : rows) {
            Object[] row = (Object[]) o;
            long n = ((Number) row[6]).longValue();
            switch (((Number) row[0]).intValue()) { // the grouping bits: 1 for each column not grouped by, h first
                case 0b01111 -> health.add(new Count(String.valueOf(row[1]), n));
                case 0b10111 -> releaseAndGeneration.add(new Count(String.valueOf(row[2]), n));
                case 0b11011 -> {
                    wsl.add(new Count(row[3] == null ? "unknown" : (String) row[3], n));
                    if (row[3] != null) {
                        wslVersions.add((String) row[3]);
                    }
                }
                case 0b11101 -> {
                    if (row[4] != null) {
                        rings.add((String) row[4]);
                    }
                }
                case 0b11110 -> {
                    if (row[5] != null) {
                        releases.add((String) row[5]);
                    }
                }
                default -> throw new IllegalStateException("unexpected grouping " + row[0]);
            }
        }
        Comparator<Count> most = Comparator.comparingLong(Count::count).reversed().thenComparing(Count::key);
        health.sort(most);
        releaseAndGeneration.sort(most);
        wsl.sort(most);
        return new Snapshot(List.copyOf(health), List.copyOf(releaseAndGeneration), List.copyOf(wsl),
                choices(rings), choices(wslVersions), choices(releases), now);
    }

    private static List<String> choices(List<String> values) {
        return values.stream().sorted().limit(CHOICES).toList();
    }

    private static List<Count> first(List<Count> counts, int limit) {
        return counts.size() <= limit ? counts : counts.subList(0, limit);
    }

    /**
     * A cheap value that changes whenever the audit log, a machine, a deployment, a release or a build does: what
     * open dashboards are told to refresh on.
     */
    public String changeFingerprint() {
        Object[] row = (Object[]) em.createNativeQuery("""
                select (select coalesce(max(id), 0) from audit_log),
                       (select count(*) || ':' || coalesce(max(last_seen_at)::text, '') from machine),
                       (select count(*) || ':' || coalesce(max(updated_at)::text, '') from deployment),
                       (select count(*) from release),
                       (select count(*) || ':' || coalesce(max(updated_at)::text, '') from build)
                """).getSingleResult();
        return row[0] + "|" + row[1] + "|" + row[2] + "|" + row[3] + "|" + row[4];
    }
}
