package io.wslfleet.orchestrator.machine;

import io.wslfleet.orchestrator.FleetConfig;
import io.wslfleet.orchestrator.api.ApiProblem;
import io.wslfleet.orchestrator.api.Operator;
import io.wslfleet.orchestrator.api.Page;
import io.wslfleet.orchestrator.audit.AuditLog;
import io.wslfleet.orchestrator.rollout.TargetFilter;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
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

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

@Path("/api/v1/machines")
@Produces(MediaType.APPLICATION_JSON)
public class MachineResource {
    @Inject
    EntityManager em;
    @Inject
    Clock clock;
    @Inject
    FleetConfig config;
    @Inject
    AuditLog audit;
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
        Map<String, String> labelFilter = new TreeMap<>();
        for (String label : labels) {
            int eq = label.indexOf('=');
            if (eq <= 0) {
                throw ApiProblem.invalid("label filters read key=value, got " + label);
            }
            labelFilter.put(label.substring(0, eq), label.substring(eq + 1));
        }
        TargetFilter filter = new TargetFilter(List.of(), labelFilter, ring == null ? List.of() : List.of(ring));
        MachineQuery query = MachineQuery.of(filter).release(releaseId).wslVersion(wslVersion).search(search)
                .health(health).enrolment(enrolment);
        Instant offlineBefore = offlineBefore();
        List<MachineView> items = query.page(em, page, size).stream().map(m -> MachineView.of(m, offlineBefore))
                .toList();
        return new Page<>(items, page, size, query.count(em));
    }

    @GET
    @Path("{machine}/{user}")
    public MachineView get(@PathParam("machine") String machine, @PathParam("user") String user) {
        return MachineView.of(find(machine + "/" + user), offlineBefore());
    }

    @GET
    @Path("{machine}/{user}/health")
    public List<HealthReport> health(@PathParam("machine") String machine, @PathParam("user") String user,
                                     @QueryParam("limit") @DefaultValue("50") @Min(1) @Max(1000) int limit) {
        String id = find(machine + "/" + user).id;
        return HealthReport.<HealthReport>find("machineId = ?1 order by reportedAt desc", id).page(0, limit).list();
    }

    @PUT
    @Path("{machine}/{user}/labels")
    @Transactional
    public MachineView setLabels(@PathParam("machine") String machine, @PathParam("user") String user,
                                 @NotNull Map<String, String> labels) {
        Machine m = em.find(Machine.class, machine + "/" + user, LockModeType.PESSIMISTIC_WRITE);
        if (m == null) {
            throw ApiProblem.notFound("machine", machine + "/" + user);
        }
        String before = m.labels;
        m.labels = MachineRegistry.toJson(new TreeMap<>(labels));
        m.ring = labels.get("ring");
        audit.record(operator.name(), "LABELS_SET", "machine", m.id, before, m.labels);
        return MachineView.of(m, offlineBefore());
    }

    @POST
    @Path("{machine}/{user}/accept")
    public MachineView accept(@PathParam("machine") String machine, @PathParam("user") String user) {
        return MachineView.of(enrolments.accept(machine + "/" + user, operator.name()), offlineBefore());
    }

    @POST
    @Path("{machine}/{user}/reject")
    public MachineView reject(@PathParam("machine") String machine, @PathParam("user") String user) {
        return MachineView.of(enrolments.reject(machine + "/" + user, operator.name()), offlineBefore());
    }

    @POST
    @Path("{machine}/{user}/revoke")
    public MachineView revoke(@PathParam("machine") String machine, @PathParam("user") String user) {
        return MachineView.of(enrolments.revoke(machine + "/" + user, operator.name()), offlineBefore());
    }

    @POST
    @Path("{machine}/{user}/decommission")
    public MachineView decommission(@PathParam("machine") String machine, @PathParam("user") String user) {
        return MachineView.of(enrolments.decommission(machine + "/" + user, operator.name()), offlineBefore());
    }

    @POST
    @Path("{machine}/{user}/rekey")
    public MachineView rekey(@PathParam("machine") String machine, @PathParam("user") String user) {
        return MachineView.of(enrolments.rekey(machine + "/" + user, operator.name()), offlineBefore());
    }

    private Machine find(String id) {
        Machine m = Machine.findById(id);
        if (m == null) {
            throw ApiProblem.notFound("machine", id);
        }
        return m;
    }

    private Instant offlineBefore() {
        return clock.instant().minus(config.offlineAfter());
    }
}
