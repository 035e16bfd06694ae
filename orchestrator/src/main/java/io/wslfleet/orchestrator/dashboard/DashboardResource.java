package io.wslfleet.orchestrator.dashboard;

import io.wslfleet.orchestrator.security.FleetRoles;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;
import io.quarkus.security.identity.SecurityIdentity;
import io.wslfleet.orchestrator.api.Page;
import io.wslfleet.orchestrator.machine.HealthReport;
import io.wslfleet.orchestrator.machine.MachineDirectory;
import io.wslfleet.orchestrator.machine.MachineHistory;
import io.wslfleet.orchestrator.machine.MachineQuery;
import io.wslfleet.orchestrator.machine.MachineView;
import io.wslfleet.orchestrator.ops.FleetStatistics;
import io.wslfleet.orchestrator.ops.FleetStatistics.Count;
import io.wslfleet.orchestrator.release.BuildResource.BuildView;
import io.wslfleet.orchestrator.release.ReleaseListings;
import io.wslfleet.orchestrator.release.ReleaseResource.ReleaseView;
import io.wslfleet.orchestrator.rollout.RolloutView;
import io.wslfleet.orchestrator.rollout.RolloutViews;
import io.wslfleet.orchestrator.security.FleetUsers;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The fleet dashboard: server-rendered pages (type-safe Qute templates) over the same services as the REST API,
 * refreshed in place by htmx when {@link LiveUpdates} announces a change. Action buttons are rendered only for
 * operators; the API enforces the same rule whatever the page shows.
 */
@Path("/")
@Produces(MediaType.TEXT_HTML)
public class DashboardResource {
    static final int MACHINES_PER_PAGE = 50;
    static final List<String> HEALTH_FILTERS = List.of("healthy", "degraded", "failed", "absent", "unknown",
            "attention");

    @Inject
    SecurityIdentity identity;
    @Inject
    FleetStatistics statistics;
    @Inject
    MachineDirectory machines;
    @Inject
    MachineHistory machineHistory;
    @Inject
    RolloutViews rollouts;
    @Inject
    ReleaseListings releases;

    /** The machine list's filters, as given; blank ones are absent. */
    public record MachineFilters(String q, String health, String release, String ring, String label,
                                 String wslVersion) {
        /** The filters as a query string for the pager's links, blank ones left out. */
        public String query() {
            Map<String, String> given = new LinkedHashMap<>();
            given.put("q", q);
            given.put("health", health);
            given.put("release", release);
            given.put("ring", ring);
            given.put("label", label);
            given.put("wslVersion", wslVersion);
            return given.entrySet().stream().filter(e -> e.getValue() != null)
                    .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                    .collect(Collectors.joining("&"));
        }
    }

    /** What the machine list can be filtered by: the values machines have. */
    public record FilterChoices(List<String> health, List<String> releases, List<String> rings,
                                List<String> wslVersions) {
    }

    @CheckedTemplate(basePath = "dashboard")
    static class Templates {
        static native TemplateInstance overview(long total, List<Count> health, List<Count> byRelease,
                                                List<Count> byWsl, List<MachineView> attention,
                                                List<RolloutView> rollouts);

        static native TemplateInstance rollout(RolloutView r, List<RolloutView.DeploymentView> failed,
                                               List<RolloutView.DeploymentView> deployments,
                                               List<RolloutView.TimelineEntry> timeline, boolean canOperate);

        static native TemplateInstance machines(Page<MachineView> page, long lastPage, MachineFilters filters,
                                                FilterChoices choices);

        static native TemplateInstance machine(MachineView m, List<HealthReport> reports,
                                               List<MachineHistory.Entry> history,
                                               List<MachineHistory.Generation> generations);

        static native TemplateInstance releases(List<ReleaseView> releases, List<BuildView> builds);
    }

    @GET
    @Transactional
    public TemplateInstance overview() {
        List<Count> health = statistics.byHealth();
        MachineQuery attention = MachineQuery.of(List.of(), Map.of(), List.of()).health("attention").enrolment(null);
        return page(Templates.overview(health.stream().mapToLong(Count::count).sum(), health,
                statistics.byReleaseAndGeneration(12), statistics.byWslVersion(12),
                machines.list(attention, 0, 15).items(), rollouts.list(null, 0, 10).items()), "overview");
    }

    @GET
    @Path("ui/rollouts/{id}")
    @Transactional
    public TemplateInstance rollout(@PathParam("id") long id) {
        return page(Templates.rollout(rollouts.get(id), rollouts.failed(id, 1000),
                rollouts.deployments(id, null, 0, 200).items(), rollouts.timeline(id), canOperate()), "rollouts");
    }

    @GET
    @Path("ui/machines")
    @Transactional
    public TemplateInstance machines(@QueryParam("q") String q, @QueryParam("health") String health,
                                     @QueryParam("release") String release, @QueryParam("ring") String ring,
                                     @QueryParam("label") String label, @QueryParam("wslVersion") String wslVersion,
                                     @QueryParam("page") @DefaultValue("0") int page) {
        MachineFilters filters = new MachineFilters(blank(q), blank(health), blank(release), blank(ring),
                blank(label), blank(wslVersion));
        MachineQuery query = MachineQuery.of(List.of(),
                        filters.label() == null ? Map.of() : MachineQuery.labelFilter(List.of(filters.label())),
                        filters.ring() == null ? List.of() : List.of(filters.ring()))
                .release(filters.release()).wslVersion(filters.wslVersion()).search(filters.q())
                .health(filters.health()).enrolment(null);
        Page<MachineView> result = machines.list(query, Math.max(0, page), MACHINES_PER_PAGE);
        FilterChoices choices = new FilterChoices(HEALTH_FILTERS, statistics.releases(), statistics.rings(),
                statistics.wslVersions());
        return page(Templates.machines(result, Math.max(0, (result.total() - 1) / MACHINES_PER_PAGE), filters,
                choices), "machines");
    }

    @GET
    @Path("ui/machines/{machine}/{user}")
    @Transactional
    public TemplateInstance machine(@PathParam("machine") String machineId, @PathParam("user") String user) {
        String id = machineId + "/" + user;
        return page(Templates.machine(machines.get(id), machines.health(id, 10), machineHistory.of(id, 50),
                machineHistory.generations(id)), "machines");
    }

    @GET
    @Path("ui/releases")
    @Transactional
    public TemplateInstance releases() {
        return page(Templates.releases(releases.releases(0, 50).items(), releases.builds(0, 20).items()),
                "releases");
    }

    /** What every page's frame (dashboard/base.html) shows: the section, who is signed in, whether they operate. */
    private TemplateInstance page(TemplateInstance page, String section) {
        return page.data("section", section)
                .data("user", identity.getPrincipal().getName())
                .data("canOperate", canOperate());
    }

    private boolean canOperate() {
        return identity.hasRole(FleetRoles.OPERATOR);
    }

    private static String blank(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
