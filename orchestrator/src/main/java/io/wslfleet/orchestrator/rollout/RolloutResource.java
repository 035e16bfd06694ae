package io.wslfleet.orchestrator.rollout;

import io.wslfleet.orchestrator.api.ApiProblem;
import io.wslfleet.orchestrator.api.Operator;
import io.wslfleet.orchestrator.api.Page;
import io.wslfleet.orchestrator.audit.AuditLog;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.core.Context;

import java.util.ArrayList;
import java.util.List;

@Path("/api/v1/rollouts")
@Produces(MediaType.APPLICATION_JSON)
public class RolloutResource {
    @Inject
    RolloutService service;
    @Inject
    RolloutEngine engine;
    @Inject
    AuditLog audit;
    @Inject
    EntityManager em;
    @Inject
    Operator operator;
    @Inject
    java.time.Clock clock;

    @POST
    public Response create(@Valid @NotNull CreateRolloutRequest request, @Context UriInfo uri) {
        Rollout r = service.create(request, operator.name());
        return Response.created(uri.getAbsolutePathBuilder().path(String.valueOf(r.id)).build()).entity(view(r))
                .build();
    }

    /**
     * What the request would target and how its waves would split, with what a create would refuse it for: for a
     * form that shows the matched machines and wave sizes as they are typed. Nothing is created.
     */
    @POST
    @Path("preview")
    public RolloutPreview preview(@NotNull CreateRolloutRequest request) {
        return service.preview(request);
    }

    @GET
    public Page<RolloutView> list(@QueryParam("state") RolloutState state,
                                  @QueryParam("page") @DefaultValue("0") @Min(0) int page,
                                  @QueryParam("size") @DefaultValue("50") @Min(1) @Max(500) int size) {
        var query = state == null ? Rollout.<Rollout>find("order by id desc")
                : Rollout.<Rollout>find("state = ?1 order by id desc", state);
        List<RolloutView> items = query.page(page, size).list().stream().map(this::view).toList();
        return new Page<>(items, page, size, query.count());
    }

    @GET
    @Path("{id}")
    public RolloutView get(@PathParam("id") long id) {
        return view(find(id));
    }

    @GET
    @Path("{id}/deployments")
    public Page<RolloutView.DeploymentView> deployments(@PathParam("id") long id,
                                                        @QueryParam("state") DeploymentState state,
                                                        @QueryParam("page") @DefaultValue("0") @Min(0) int page,
                                                        @QueryParam("size") @DefaultValue("100") @Min(1) @Max(1000)
                                                        int size) {
        find(id);
        var query = state == null ? Deployment.<Deployment>find("rolloutId = ?1 order by wave, machineId", id)
                : Deployment.<Deployment>find("rolloutId = ?1 and state = ?2 order by wave, machineId", id, state);
        return new Page<>(query.page(page, size).list().stream().map(RolloutView.DeploymentView::of).toList(), page,
                size, query.count());
    }

    @GET
    @Path("{id}/timeline")
    public List<RolloutView.TimelineEntry> timeline(@PathParam("id") long id) {
        find(id);
        return audit.of("rollout", String.valueOf(id)).stream()
                .map(e -> new RolloutView.TimelineEntry(e.at, e.actor, e.action, e.after)).toList();
    }

    @POST
    @Path("{id}/start")
    public RolloutView start(@PathParam("id") long id) {
        return view(service.start(id, operator.name()));
    }

    @POST
    @Path("{id}/pause")
    public RolloutView pause(@PathParam("id") long id) {
        return view(service.pause(id, operator.name()));
    }

    @POST
    @Path("{id}/resume")
    public RolloutView resume(@PathParam("id") long id) {
        return view(service.resume(id, operator.name()));
    }

    @POST
    @Path("{id}/approve")
    public RolloutView approve(@PathParam("id") long id) {
        return view(service.approve(id, operator.name()));
    }

    @POST
    @Path("{id}/cancel")
    public RolloutView cancel(@PathParam("id") long id) {
        return view(service.cancel(id, operator.name()));
    }

    @POST
    @Path("{id}/rollback")
    public RolloutView rollBack(@PathParam("id") long id) {
        return view(service.rollBack(id, operator.name()));
    }

    private static Rollout find(long id) {
        Rollout r = Rollout.findById(id);
        if (r == null) {
            throw ApiProblem.notFound("rollout", id);
        }
        return r;
    }

    RolloutView view(Rollout r) {
        MaintenanceWindow window = r.maintenanceWindow == null ? null
                : RolloutService.read(r.maintenanceWindow, MaintenanceWindow.class);
        RolloutPlan plan = RolloutEngine.plan(r);
        int waveCount = Math.max(RolloutEngine.waveCount(r), r.state == RolloutState.DRAFT ? plan.waves().size() : 0);
        List<RolloutView.WaveView> waves = new ArrayList<>();
        for (int i = 0; i < waveCount; i++) {
            RolloutPlan.Wave w = plan.waves().get(Math.min(i, plan.waves().size() - 1));
            WaveRules.Counts c = engine.counts(r, i);
            waves.add(new RolloutView.WaveView(i, w.name(), c.total(), c.succeeded(), c.errors(), c.inFlight(),
                    c.pending(), c.cancelled(), w.successThresholdPercent(), w.errorThresholdPercent(),
                    w.soakSeconds()));
        }
        return new RolloutView(r.id, r.name, r.releaseId, r.state, r.currentWave,
                RolloutService.read(r.target, TargetFilter.class), waves, r.deadlineSeconds, r.autoRollback,
                r.upgradeMode, r.backupFirst, r.createdBy, r.createdAt, r.startedAt, r.finishedAt, r.soakUntil,
                r.haltReason, window, window == null ? null : window.isOpen(clock.instant()),
                window == null ? null : window.nextOpening(clock.instant()).orElse(null), r.approvalRequired,
                r.approvedWave, r.waitingFor, r.maxConcurrent);
    }
}
