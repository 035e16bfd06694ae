package io.wslfleet.orchestrator.ops;

import io.wslfleet.orchestrator.FleetConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.Query;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** The fleet counted: by health (offline when silent too long), by release and generation, by WSL version, by ring. */
@ApplicationScoped
public class FleetStatistics {
    /** Machines still in the fleet: decommissioned ones are kept for their history only. */
    private static final String IN_FLEET = " from machine where enrolment <> 'DECOMMISSIONED' ";

    @Inject
    EntityManager em;
    @Inject
    Clock clock;
    @Inject
    FleetConfig config;

    public record Count(String key, long count) {
    }

    /** Machines by health, {@code offline} for those not heard from within {@code fleet.offline-after}; most first. */
    public List<Count> byHealth() {
        Instant offlineBefore = clock.instant().minus(config.offlineAfter());
        return counts(em.createNativeQuery("select case when last_seen_at < ?1 then 'offline' else health_state end, "
                + "count(*)" + IN_FLEET + "group by 1 order by 2 desc").setParameter(1, offlineBefore));
    }

    /** The {@code limit} most common release and generation pairs. */
    public List<Count> byReleaseAndGeneration(int limit) {
        return counts(em.createNativeQuery("select coalesce(current_release_id, '(none)') || ' · gen ' "
                + "|| coalesce(current_generation::text, '-'), count(*)" + IN_FLEET + "group by 1 order by 2 desc")
                .setMaxResults(limit));
    }

    public List<Count> byWslVersion(int limit) {
        return counts(em.createNativeQuery("select coalesce(wsl_version, 'unknown'), count(*)" + IN_FLEET
                + "group by 1 order by 2 desc").setMaxResults(limit));
    }

    /** The values a machine list can be filtered by: the rings, WSL versions and releases machines have. */
    public List<String> rings() {
        return distinct("ring");
    }

    public List<String> wslVersions() {
        return distinct("wsl_version");
    }

    public List<String> releases() {
        return distinct("current_release_id");
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

    private List<String> distinct(String column) {
        List<String> values = new ArrayList<>();
        for (Object v : em.createNativeQuery("select distinct " + column + IN_FLEET + "and " + column
                + " is not null order by 1").setMaxResults(100).getResultList()) {
            values.add((String) v);
        }
        return values;
    }

    private static List<Count> counts(Query query) {
        List<Count> out = new ArrayList<>();
        for (Object o : query.getResultList()) {
            Object[] row = (Object[]) o;
            out.add(new Count(String.valueOf(row[0]), ((Number) row[1]).longValue()));
        }
        return out;
    }
}
