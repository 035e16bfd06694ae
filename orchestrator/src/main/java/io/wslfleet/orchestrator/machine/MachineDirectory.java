package io.wslfleet.orchestrator.machine;

import io.wslfleet.orchestrator.FleetConfig;
import io.wslfleet.orchestrator.api.ApiProblem;
import io.wslfleet.orchestrator.api.Page;
import io.wslfleet.orchestrator.audit.AuditLog;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The machines as operators see them: listed and filtered in SQL, one by id, its health reports, its labels. */
@ApplicationScoped
public class MachineDirectory {
    @Inject
    EntityManager em;
    @Inject
    Clock clock;
    @Inject
    FleetConfig config;
    @Inject
    AuditLog audit;

    /** One page of the machines {@code query} selects, with the total it selects. */
    public Page<MachineView> list(MachineQuery query, int page, int size) {
        Instant offlineBefore = offlineBefore();
        List<MachineView> items = query.page(em, page, size).stream().map(m -> MachineView.of(m, offlineBefore))
                .toList();
        return new Page<>(items, page, size, query.count(em));
    }

    public MachineView get(String id) {
        return MachineView.of(find(id), offlineBefore());
    }

    /** The machine's latest health reports, newest first. */
    public List<HealthReport> health(String id, int limit) {
        find(id);
        return HealthReport.<HealthReport>find("machineId = ?1 order by reportedAt desc", id).page(0, limit).list();
    }

    /** Replaces the machine's labels (its ring is the {@code ring} label), audited with what they were. */
    @Transactional
    public MachineView setLabels(String id, Map<String, String> labels, String actor) {
        Machine m = em.find(Machine.class, id, LockModeType.PESSIMISTIC_WRITE);
        if (m == null) {
            throw ApiProblem.notFound("machine", id);
        }
        String before = AuditLog.json(m.labels);
        m.labels = new TreeMap<>(labels);
        m.ring = labels.get("ring");
        audit.record(actor, "LABELS_SET", "machine", m.id, before, AuditLog.json(m.labels));
        return MachineView.of(m, offlineBefore());
    }

    /** A machine's view after an enrolment decision ({@link MachineEnrolments}) changed it. */
    public MachineView view(Machine m) {
        return MachineView.of(m, offlineBefore());
    }

    static Machine find(String id) {
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
