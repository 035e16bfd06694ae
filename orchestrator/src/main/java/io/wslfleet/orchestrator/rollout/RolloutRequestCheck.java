package io.wslfleet.orchestrator.rollout;

import io.wslfleet.orchestrator.api.Problem.FieldError;
import io.wslfleet.orchestrator.release.Release;
import io.wslfleet.protocol.events.AgentId;
import jakarta.persistence.EntityManager;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything wrong with a rollout request, field by field, before anything is created: the bounds a client can rely
 * on, unknown machines and releases, a whole-fleet target said explicitly, waves whose sizes cannot all be honoured.
 */
final class RolloutRequestCheck {
    static final int MAX_NAME = 200;
    static final int MAX_WAVES = 20;
    static final int MAX_MACHINE_IDS = 10_000;
    static final int MAX_LABELS = 32;
    static final int MAX_RINGS = 32;
    static final int MAX_WSL_VERSIONS = 32;
    private static final int UNKNOWN_SHOWN = 20;

    private RolloutRequestCheck() {
    }

    static List<FieldError> check(CreateRolloutRequest r, EntityManager em) {
        List<FieldError> errors = new ArrayList<>();
        if (r.name() == null || r.name().isBlank()) {
            errors.add(new FieldError("name", "is required"));
        } else if (r.name().length() > MAX_NAME) {
            errors.add(new FieldError("name", "has " + r.name().length() + " characters, at most " + MAX_NAME));
        }
        if (r.releaseId() == null || r.releaseId().isBlank()) {
            errors.add(new FieldError("releaseId", "is required"));
        } else if (r.releaseId().length() > 128 || Release.findById(r.releaseId()) == null) {
            errors.add(new FieldError("releaseId", "no release " + shorten(r.releaseId()) + " is cataloged"));
        }
        target(r.target(), em, errors);
        waves(r, errors);
        return errors;
    }

    private static void target(TargetFilter t, EntityManager em, List<FieldError> errors) {
        if (t == null) {
            errors.add(new FieldError("target", "is required: give machineIds, labels, rings or wslVersions, or all: true"));
            return;
        }
        boolean all = Boolean.TRUE.equals(t.all());
        if (all && !t.isEmpty()) {
            errors.add(new FieldError("target.all", "all: true targets the whole fleet; give it alone, without "
                    + "machineIds, labels, rings or wslVersions"));
        }
        if (!all && t.isEmpty()) {
            errors.add(new FieldError("target", "matches nothing as given: give machineIds, labels, rings or "
                    + "wslVersions, or all: true for the whole fleet"));
        }
        if (t.machineIds().size() > MAX_MACHINE_IDS) {
            errors.add(new FieldError("target.machineIds", "has " + t.machineIds().size() + " entries, at most "
                    + MAX_MACHINE_IDS + " (target larger groups by ring or label)"));
        } else if (!t.machineIds().isEmpty()) {
            List<String> malformed = new ArrayList<>();
            List<String> wellFormed = new ArrayList<>();
            for (String id : t.machineIds()) {
                try {
                    wellFormed.add(AgentId.check(id, "machine id"));
                } catch (IllegalArgumentException e) {
                    malformed.add(id == null ? "null" : shorten(id));
                }
            }
            if (!malformed.isEmpty()) {
                errors.add(new FieldError("target.machineIds", "not agent ids (<machine>/<windows user>, lower case): "
                        + list(malformed)));
            }
            Set<String> known = new HashSet<>();
            for (int from = 0; from < wellFormed.size(); from += 1000) {
                known.addAll(em.createQuery("select m.id from Machine m where m.id in :ids and m.enrolment = :accepted", String.class)
                        .setParameter("ids", wellFormed.subList(from, Math.min(wellFormed.size(), from + 1000)))
                        .setParameter("accepted", io.wslfleet.orchestrator.machine.Enrolment.ACCEPTED)
                        .getResultList());
            }
            List<String> unknown = wellFormed.stream().filter(id -> !known.contains(id)).distinct().toList();
            if (!unknown.isEmpty()) {
                errors.add(new FieldError("target.machineIds", unknown.size() + " unknown or not admitted machines: " + list(unknown)));
            }
        }
        if (t.labels().size() > MAX_LABELS) {
            errors.add(new FieldError("target.labels", "has " + t.labels().size() + " entries, at most " + MAX_LABELS));
        }
        for (Map.Entry<String, String> label : t.labels().entrySet()) {
            if (label.getKey().length() > 63 || label.getValue() == null || label.getValue().length() > 256) {
                errors.add(new FieldError("target.labels", "a label is a key of at most 63 characters and a value of"
                        + " at most 256: " + shorten(label.getKey())));
                break;
            }
        }
        if (t.rings().size() > MAX_RINGS) {
            errors.add(new FieldError("target.rings", "has " + t.rings().size() + " entries, at most " + MAX_RINGS));
        }
        if (t.wslVersions().size() > MAX_RINGS) {
            errors.add(new FieldError("target.wslVersions", "has " + t.wslVersions().size() + " entries, at most "
                    + MAX_WSL_VERSIONS));
        }
    }

    private static void waves(CreateRolloutRequest r, List<FieldError> errors) {
        List<CreateRolloutRequest.WaveSize> waves = r.waves() == null ? List.of() : r.waves();
        if (waves.size() > MAX_WAVES) {
            errors.add(new FieldError("waves", "has " + waves.size() + " waves, at most " + MAX_WAVES));
            return;
        }
        List<Integer> percents = new ArrayList<>();
        if (r.canary() != null) {
            size("canary", r.canary(), errors);
            if (r.canary().percent() != null) {
                percents.add(r.canary().percent());
            }
        }
        for (int i = 0; i < waves.size(); i++) {
            CreateRolloutRequest.WaveSize w = waves.get(i);
            if (w == null) {
                errors.add(new FieldError("waves[" + i + "]", "is null; give {\"count\": N} or {\"percent\": P}"));
                return;
            }
            size("waves[" + i + "]", w, errors);
            if (w.percent() != null && i < waves.size() - 1) {
                percents.add(w.percent());
            }
        }
        int before = percents.stream().mapToInt(Integer::intValue).sum();
        if (before >= 100 && !waves.isEmpty()) {
            errors.add(new FieldError("waves", "the waves before the last take " + before + "% of the targets, "
                    + "leaving none for the waves after them; their percents must add up to less than 100"));
        } else if (!waves.isEmpty()) {
            CreateRolloutRequest.WaveSize last = waves.get(waves.size() - 1);
            if (last != null && last.percent() != null && last.percent() != 100 && before + last.percent() != 100) {
                errors.add(new FieldError("waves[" + (waves.size() - 1) + "].percent", "the last wave takes every "
                        + "target left (" + (100 - before) + "% here), but asks for " + last.percent()
                        + "%: give percent 100 (the rest) or sizes that add up to 100"));
            }
        }
    }

    private static void size(String field, CreateRolloutRequest.WaveSize w, List<FieldError> errors) {
        if ((w.count() == null) == (w.percent() == null)) {
            errors.add(new FieldError(field, "give exactly one of count (machines) or percent (1 to 100)"));
        }
    }

    private static String list(List<String> values) {
        String shown = String.join(", ", values.subList(0, Math.min(UNKNOWN_SHOWN, values.size())));
        return values.size() > UNKNOWN_SHOWN ? shown + " … (+" + (values.size() - UNKNOWN_SHOWN) + " more)" : shown;
    }

    private static String shorten(String value) {
        return value.length() <= 80 ? value : value.substring(0, 80) + "… (" + value.length() + " characters)";
    }
}
