package io.wslfleet.orchestrator.dashboard;

import io.quarkus.qute.Location;
import io.quarkus.qute.Template;
import io.quarkus.qute.TemplateInstance;
import io.quarkus.security.identity.SecurityIdentity;
import io.wslfleet.orchestrator.FleetConfig;
import io.wslfleet.orchestrator.machine.MachineResource;
import io.wslfleet.orchestrator.release.BuildResource;
import io.wslfleet.orchestrator.release.ReleaseResource;
import io.wslfleet.orchestrator.rollout.RolloutResource;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The fleet dashboard: server-rendered pages (Qute) over the same data as the REST API, refreshed in place by htmx
 * when {@link LiveUpdates} announces a change. Action buttons are rendered only for operators; the API enforces the
 * same rule whatever the page shows.
 */
@Path("/")
@Produces(MediaType.TEXT_HTML)
public class DashboardResource {

    @Inject
    @Location("dashboard/overview.html")
    Template overview;
    @Inject
    @Location("dashboard/rollout.html")
    Template rollout;
    @Inject
    @Location("dashboard/machines.html")
    Template machines;
    @Inject
    @Location("dashboard/machine.html")
    Template machine;
    @Inject
    @Location("dashboard/releases.html")
    Template releases;

    @Inject
    EntityManager em;
    @Inject
    SecurityIdentity identity;
    @Inject
    FleetConfig config;
    @Inject
    Clock clock;
    @Inject
    RolloutResource rolloutApi;
    @Inject
    MachineResource machineApi;
    @Inject
    ReleaseResource releaseApi;
    @Inject
    BuildResource buildApi;

    public record Count(String key, long count) {
    }

    @GET
    @Transactional
    public TemplateInstance overview() {
        Instant offlineBefore = clock.instant().minus(config.offlineAfter());
        List<Count> health = counts("""
                select case when last_seen_at < ?1 then 'offline' else health_state end, count(*)
                from machine group by 1 order by 2 desc""", offlineBefore);
        List<Count> byRelease = counts("""
                select coalesce(current_release_id, '(none)') || ' · gen ' || coalesce(current_generation::text, '-'),
                       count(*) from machine group by 1 order by 2 desc limit 12""", null);
        List<Count> byWsl = counts("""
                select coalesce(wsl_version, 'unknown'), count(*) from machine group by 1 order by 2 desc limit 12""", null);
        long total = health.stream().mapToLong(Count::count).sum();
        var attention = machineApi.list(null, "attention", null, null, null, List.of(), null, 0, 15);
        return page(overview, "overview")
                .data("total", total)
                .data("health", health)
                .data("byRelease", byRelease)
                .data("byWsl", byWsl)
                .data("attention", attention.items())
                .data("rollouts", rolloutApi.list(null, 0, 10).items());
    }

    @GET
    @Path("ui/rollouts/{id}")
    @Transactional
    public TemplateInstance rollout(@PathParam("id") long id) {
        var view = rolloutApi.get(id);
        var failed = rolloutApi.deployments(id, null, 0, 1000).items().stream()
                .filter(d -> d.reason() != null || !d.failedUnits().isEmpty()).toList();
        return page(rollout, "rollouts")
                .data("r", view)
                .data("failed", failed)
                .data("deployments", rolloutApi.deployments(id, null, 0, 200).items())
                .data("timeline", rolloutApi.timeline(id));
    }

    @GET
    @Path("ui/machines")
    @Transactional
    public TemplateInstance machines(@QueryParam("q") String q, @QueryParam("health") String health,
                                     @QueryParam("release") String release,
                                     @QueryParam("page") @DefaultValue("0") int page) {
        var result = machineApi.list(blank(q), blank(health), blank(release), null, null, List.of(), null, Math.max(0, page), 50);
        return page(machines, "machines")
                .data("page", result)
                .data("q", q == null ? "" : q)
                .data("healthStates", List.of("healthy", "degraded", "failed", "absent", "unknown", "attention"))
                .data("healthFilter", health == null ? "" : health)
                .data("releaseFilter", release == null ? "" : release)
                .data("lastPage", Math.max(0, (result.total() - 1) / 50));
    }

    @GET
    @Path("ui/machines/{machine}/{user}")
    @Transactional
    public TemplateInstance machine(@PathParam("machine") String machineId, @PathParam("user") String user) {
        var view = machineApi.get(machineId, user);
        String id = view.id();
        List<Map<String, Object>> history = new ArrayList<>();
        for (Object o : em.createNativeQuery("""
                select at, actor, action, detail from (
                  select a.at, a.actor, a.action, a.entity || ' ' || a.entity_id as detail
                  from audit_log a where a.entity = 'machine' and a.entity_id = ?1
                  union all
                  select coalesce(d.finished_at, d.commanded_at, d.updated_at), 'rollout ' || d.rollout_id, d.state,
                         trim(coalesce(d.reason, '') || ' ' || coalesce(d.message, '')
                           || case when d.failed_units is not null and d.failed_units <> ''
                                   then ' · failed units: ' || d.failed_units else '' end
                           || case when d.previous_generation is not null
                                   then ' · previous generation ' || d.previous_generation else '' end)
                  from deployment d where d.machine_id = ?1) h
                order by at desc nulls last limit 50""").setParameter(1, id).getResultList()) {
            Object[] row = (Object[]) o;
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("at", row[0] instanceof Timestamp t ? t.toInstant() : row[0]);
            entry.put("actor", row[1]);
            entry.put("action", row[2]);
            entry.put("detail", row[3]);
            history.add(entry);
        }
        return page(machine, "machines")
                .data("m", view)
                .data("reports", machineApi.health(machineId, user, 10))
                .data("history", history)
                .data("inventory", em.createNativeQuery("select coalesce(inventory, '') from machine where id = ?1")
                        .setParameter(1, id).getSingleResult());
    }

    @GET
    @Path("ui/releases")
    @Transactional
    public TemplateInstance releases() {
        return page(releases, "releases")
                .data("releases", releaseApi.list(0, 50).items())
                .data("builds", buildApi.list(0, 20).items());
    }

    private TemplateInstance page(Template template, String section) {
        return template.data("section", section)
                .data("user", identity.getPrincipal().getName())
                .data("canOperate", identity.hasRole(io.wslfleet.orchestrator.security.FleetRoles.OPERATOR));
    }

    private List<Count> counts(String sql, Object param) {
        var query = em.createNativeQuery(sql);
        if (param != null) {
            query.setParameter(1, param);
        }
        List<Count> out = new ArrayList<>();
        for (Object o : query.getResultList()) {
            Object[] row = (Object[]) o;
            out.add(new Count(String.valueOf(row[0]), ((Number) row[1]).longValue()));
        }
        return out;
    }

    private static String blank(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
