package io.wslfleet.orchestrator.machine;

import io.wslfleet.orchestrator.api.Operator;
import io.wslfleet.orchestrator.api.Page;
import jakarta.inject.Inject;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import java.util.List;
import java.util.Map;

@Path("/api/v1/machines")
@Produces(MediaType.APPLICATION_JSON)
public class MachineResource {
    @Inject
    MachineDirectory machines;
    @Inject
    Operator operator;
    @Inject
    MachineEnrolments enrolments;

    /**
     * Machines, filtered and paginated in SQL. Agent ids contain a slash, so one machine is addressed as
     * {@code /api/v1/machines/{machine id}/{windows user}}.
     */
    @GET
    public Page<MachineView> list(@QueryParam("q") String search,
                                  @QueryParam("health") String health,
                                  @QueryParam("release") String releaseId,
                                  @QueryParam("ring") String ring,
                                  @QueryParam("wslVersion") String wslVersion,
                                  @QueryParam("label") List<String> labels,
                                  @QueryParam("enrolment") Enrolment enrolment,
                                  @QueryParam("page") @DefaultValue("0") @Min(0) int page,
                                  @QueryParam("size") @DefaultValue("50") @Min(1) @Max(500) int size) {
        MachineQuery query = MachineQuery.of(List.of(), MachineQuery.labelFilter(labels), ring == null ? List.of() : List.of(ring))
                .release(releaseId).wslVersion(wslVersion).search(search).health(health).enrolment(enrolment);
        return machines.list(query, page, size);
    }

    @GET
    @Path("{machine}/{user}")
    public MachineView get(@PathParam("machine") String machine, @PathParam("user") String user) {
        return machines.get(machine + "/" + user);
    }

    @GET
    @Path("{machine}/{user}/health")
    public List<HealthReport> health(@PathParam("machine") String machine, @PathParam("user") String user,
                                     @QueryParam("limit") @DefaultValue("50") @Min(1) @Max(1000) int limit) {
        return machines.health(machine + "/" + user, limit);
    }

    @PUT
    @Path("{machine}/{user}/labels")
    public MachineView setLabels(@PathParam("machine") String machine, @PathParam("user") String user,
                                 @NotNull Map<String, String> labels) {
        return machines.setLabels(machine + "/" + user, labels, operator.name());
    }

    @POST
    @Path("{machine}/{user}/accept")
    public MachineView accept(@PathParam("machine") String machine, @PathParam("user") String user) {
        return machines.view(enrolments.accept(machine + "/" + user, operator.name()));
    }

    @POST
    @Path("{machine}/{user}/reject")
    public MachineView reject(@PathParam("machine") String machine, @PathParam("user") String user) {
        return machines.view(enrolments.reject(machine + "/" + user, operator.name()));
    }

    @POST
    @Path("{machine}/{user}/revoke")
    public MachineView revoke(@PathParam("machine") String machine, @PathParam("user") String user) {
        return machines.view(enrolments.revoke(machine + "/" + user, operator.name()));
    }

    @POST
    @Path("{machine}/{user}/decommission")
    public MachineView decommission(@PathParam("machine") String machine, @PathParam("user") String user) {
        return machines.view(enrolments.decommission(machine + "/" + user, operator.name()));
    }

    @POST
    @Path("{machine}/{user}/rekey")
    public MachineView rekey(@PathParam("machine") String machine, @PathParam("user") String user) {
        return machines.view(enrolments.rekey(machine + "/" + user, operator.name()));
    }
}
