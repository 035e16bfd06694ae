package io.wslfleet.orchestrator.machine;

import io.wslfleet.orchestrator.api.ApiProblem;
import jakarta.persistence.EntityManager;
import jakarta.persistence.Query;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Selects machines by a target filter plus list filters, in SQL, so it stays fast on a large fleet. */
public final class MachineQuery {
    private final StringBuilder where = new StringBuilder(" where 1=1");
    private final Map<String, Object> params = new LinkedHashMap<>();

    /** Machines with one of these ids (none given: any), one of these rings (any), and every label given. */
    public static MachineQuery of(List<String> machineIds, Map<String, String> labels, List<String> rings) {
        return of(machineIds, labels, rings, List.of());
    }

    /** As {@link #of(List, Map, List)}, and running one of these WSL versions (none given: any). */
    public static MachineQuery of(List<String> machineIds, Map<String, String> labels, List<String> rings,
                                  List<String> wslVersions) {
        MachineQuery q = new MachineQuery();
        if (!machineIds.isEmpty()) {
            q.where.append(" and m.id in (:ids)");
            q.params.put("ids", machineIds);
        }
        if (!rings.isEmpty()) {
            q.where.append(" and m.ring in (:rings)");
            q.params.put("rings", rings);
        }
        if (!wslVersions.isEmpty()) {
            q.where.append(" and m.wsl_version in (:wslVersions)");
            q.params.put("wslVersions", wslVersions);
        }
        int i = 0;
        for (Map.Entry<String, String> label : labels.entrySet()) {
            q.where.append(" and (m.labels ->> :lk").append(i).append(") = :lv").append(i);
            q.params.put("lk" + i, label.getKey());
            q.params.put("lv" + i, label.getValue());
            i++;
        }
        return q;
    }

    /** {@code key=value} label filters as a map; anything else is a bad request. */
    public static Map<String, String> labelFilter(List<String> labels) {
        Map<String, String> filter = new TreeMap<>();
        for (String label : labels) {
            int eq = label.indexOf('=');
            if (eq <= 0) {
                throw ApiProblem.invalid("label filters read key=value, got " + label);
            }
            filter.put(label.substring(0, eq), label.substring(eq + 1));
        }
        return filter;
    }

    /** Only machines admitted to the fleet: what rollouts target. */
    public MachineQuery admitted() {
        return enrolment(Enrolment.ACCEPTED);
    }

    /** Machines in this enrolment state; null: every machine still in the fleet (not decommissioned). */
    public MachineQuery enrolment(Enrolment enrolment) {
        if (enrolment != null) {
            where.append(" and m.enrolment = :enrolment");
            params.put("enrolment", enrolment.name());
        } else {
            where.append(" and m.enrolment <> 'DECOMMISSIONED'");
        }
        return this;
    }

    /** A health state, or {@code attention}: every machine that is not healthy. */
    public MachineQuery health(String health) {
        if ("attention".equals(health)) {
            where.append(" and m.health_state <> 'healthy'");
            return this;
        }
        if (health != null && !health.isBlank()) {
            where.append(" and m.health_state = :health");
            params.put("health", health);
        }
        return this;
    }

    public MachineQuery release(String releaseId) {
        if (releaseId != null && !releaseId.isBlank()) {
            where.append(" and m.current_release_id = :release");
            params.put("release", releaseId);
        }
        return this;
    }

    public MachineQuery wslVersion(String wslVersion) {
        if (wslVersion != null && !wslVersion.isBlank()) {
            where.append(" and m.wsl_version = :wsl");
            params.put("wsl", wslVersion);
        }
        return this;
    }

    public MachineQuery search(String text) {
        if (text != null && !text.isBlank()) {
            where.append(" and (m.id ilike :q or m.hostname ilike :q)");
            params.put("q", "%" + text.replace("%", "\\%").replace("_", "\\_") + "%");
        }
        return this;
    }

    public List<String> ids(EntityManager em) {
        Query q = em.createNativeQuery("select m.id from machine m" + where + " order by m.id");
        params.forEach(q::setParameter);
        List<?> rows = q.getResultList();
        List<String> ids = new ArrayList<>(rows.size());
        rows.forEach(r -> ids.add((String) r));
        return ids;
    }

    @SuppressWarnings("unchecked")
    public List<Machine> page(EntityManager em, int page, int size) {
        Query q = em.createNativeQuery("select m.* from machine m" + where + " order by m.id", Machine.class);
        params.forEach(q::setParameter);
        return q.setFirstResult(page * size).setMaxResults(size).getResultList();
    }

    public long count(EntityManager em) {
        Query q = em.createNativeQuery("select count(*) from machine m" + where);
        params.forEach(q::setParameter);
        return ((Number) q.getSingleResult()).longValue();
    }
}
