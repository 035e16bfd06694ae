package io.wslfleet.orchestrator.machine;

import io.wslfleet.orchestrator.release.ReleaseCatalog;
import io.wslfleet.protocol.events.DistroInfo;
import io.wslfleet.protocol.events.GenerationInfo;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** What happened to a machine (operators' decisions and its deployments) and the generations it last reported. */
@ApplicationScoped
public class MachineHistory {
    @Inject
    EntityManager em;
    @Inject
    ReleaseCatalog releases;

    /** One event in a machine's history: an audited decision, or a deployment's latest state. */
    public record Entry(Instant at, String actor, String action, String detail) {
    }

    /**
     * A generation of the managed distro's system profile, as the agent last reported it: {@code current} is the one
     * the profile points at, {@code booted} the one running (or to be activated at the next start).
     */
    public record Generation(int number, String systemPath, String releaseId, boolean current, boolean booted) {
    }

    /** The latest {@code limit} entries of the machine's history, newest first. */
    public List<Entry> of(String machineId, int limit) {
        List<Entry> history = new ArrayList<>();
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
                order by at desc nulls last limit ?2""")
                .setParameter(1, machineId).setParameter(2, limit).getResultList()) {
            Object[] row = (Object[]) o;
            history.add(new Entry(row[0] instanceof Timestamp t ? t.toInstant() : (Instant) row[0],
                    (String) row[1], (String) row[2], (String) row[3]));
        }
        return history;
    }

    /** The managed distro's generations from the machine's last inventory, newest first; none when it has no such distro. */
    public List<Generation> generations(String machineId) {
        Machine m = MachineDirectory.find(machineId);
        if (m.inventory == null) {
            return List.of();
        }
        DistroInfo distro = m.inventory.distros().stream()
                .filter(d -> MachineRegistry.MANAGED_DISTRO.equalsIgnoreCase(d.name())).findFirst().orElse(null);
        if (distro == null) {
            return List.of();
        }
        return distro.generations().stream().sorted(Comparator.comparingInt(GenerationInfo::number).reversed())
                .map(g -> new Generation(g.number(), g.systemPath(), releases.idOf(g.systemPath()),
                        distro.currentGeneration() != null && distro.currentGeneration() == g.number(),
                        g.systemPath() != null && g.systemPath().equals(distro.currentSystemPath())))
                .toList();
    }
}
