package io.wslfleet.orchestrator.rollout;

import java.util.ArrayList;
import java.util.List;

/** A rollout plan told in words, for people: the dashboard, the timeline, the API's {@code plan}. */
public final class PlanWords {
    private PlanWords() {
    }

    /**
     * The name of wave {@code index} of a rollout that has {@code waveCount} waves. A rollout whose targets all fit in
     * its first wave has no canary: nothing waits on that wave, so it is not called one.
     */
    public static String waveName(RolloutPlan plan, int index, int waveCount) {
        if (waveCount == 1) {
            return "wave-1";
        }
        return index < plan.waves().size() ? plan.waves().get(index).name() : "wave-" + index;
    }

    /**
     * "A canary of 1 machine, then 50% of the targets, then the rest. Each wave needs 100% successes, halts above 0%
     * errors and soaks 2 s before the next."
     */
    public static String describe(RolloutPlan plan) {
        List<RolloutPlan.Wave> waves = plan.waves();
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < waves.size(); i++) {
            RolloutPlan.Wave w = waves.get(i);
            boolean last = i == waves.size() - 1;
            if (last && waves.size() == 1) {
                parts.add("every target at once");
            } else if (last) {
                parts.add("the rest");
            } else {
                String size = w.count() != null ? w.count() + (w.count() == 1 ? " machine" : " machines")
                        : w.percent() + "% of the targets";
                parts.add(i == 0 && "canary".equals(w.name()) ? "a canary of " + size : size);
            }
        }
        StringBuilder sb = new StringBuilder(capitalise(String.join(", then ", parts))).append('.');
        if (waves.stream().map(PlanWords::rules).distinct().count() == 1) {
            sb.append(waves.size() == 1 ? " It needs " : " Each wave needs ").append(rules(waves.get(0))).append('.');
        } else {
            for (RolloutPlan.Wave w : waves) {
                sb.append(' ').append(capitalise(w.name())).append(" needs ").append(rules(w)).append('.');
            }
        }
        return sb.toString();
    }

    private static String rules(RolloutPlan.Wave w) {
        return w.successThresholdPercent() + "% successes, halts above " + w.errorThresholdPercent() + "% errors"
                + (w.soakSeconds() > 0 ? " and soaks " + seconds(w.soakSeconds()) + " before the next" : "");
    }

    /** 45 s, 5 min, 1 h 30 min. */
    public static String seconds(long s) {
        if (s < 120) {
            return s + " s";
        }
        if (s < 3600) {
            return s / 60 + " min" + (s % 60 == 0 ? "" : " " + s % 60 + " s");
        }
        return s / 3600 + " h" + (s % 3600 / 60 == 0 ? "" : " " + s % 3600 / 60 + " min");
    }

    private static String capitalise(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
