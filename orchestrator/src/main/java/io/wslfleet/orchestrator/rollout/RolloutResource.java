package io.wslfleet.orchestrator.rollout;

import io.wslfleet.orchestrator.api.Operator;
import io.wslfleet.orchestrator.api.Page;
import jakarta.inject.Inject;
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

import java.util.List;

@Path("/api/v1/rollouts")
@Produces(MediaType.APPLICATION_JSON)
public class RolloutResource {
    @Inject
    RolloutService service;
    @Inject
    RolloutViews views;
    @Inject
    Operator operator;

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
        return views.list(state, page, size);
    }

    @GET
    @Path("{id}")
    public RolloutView get(@PathParam("id") long id) {
        return views.get(id);
    }

    @GET
    @Path("{id}/deployments")
    public Page<RolloutView.DeploymentView> deployments(@PathParam("id") long id,
                                                        @QueryParam("state") DeploymentState state,
                                                        @QueryParam("page") @DefaultValue("0") @Min(0) int page,
                                                        @QueryParam("size") @DefaultValue("100") @Min(1) @Max(1000)
                                                        int size) {
        return views.deployments(id, state, page, size);
    }

    @GET
    @Path("{id}/timeline")
    public List<RolloutView.TimelineEntry> timeline(@PathParam("id") long id) {
        return views.timeline(id);
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

    private RolloutView view(Rollout r) {
        return views.view(r);
    }
}
