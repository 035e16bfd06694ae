package io.wslfleet.orchestrator.dashboard;

import io.quarkus.qute.TemplateExtension;
import io.wslfleet.orchestrator.rollout.PlanWords;
import io.wslfleet.orchestrator.rollout.RolloutView;

/** Small helpers for the dashboard templates. */
@TemplateExtension
public final class DashboardExtensions {

    private DashboardExtensions() {
    }

    /** {@code part} as a whole percent of {@code whole}, 0 when there is no whole: {@code {w.succeeded.percentOf(w.size)}}. */
    public static long percentOf(Number part, Number whole) {
        return whole == null || whole.longValue() == 0 || part == null ? 0 : part.longValue() * 100 / whole.longValue();
    }

    /** A number of seconds as people say it: {@code {r.deadlineSeconds.seconds}} → "5 min". */
    public static String seconds(Number seconds) {
        return PlanWords.seconds(seconds.longValue());
    }

    /** The name of the wave the rollout is at: "canary", "wave-2". */
    public static String currentWaveName(RolloutView r) {
        return r.waves().isEmpty() ? "wave-1" : r.waves().get(Math.min(r.currentWave(), r.waves().size() - 1)).name();
    }

    /** "no wave approved yet", "approved up to canary": never a wave index of -1. */
    public static String approvalState(RolloutView r) {
        if (r.approvedWave() < 0 || r.waves().isEmpty()) {
            return "no wave approved yet";
        }
        return "approved up to " + r.waves().get(Math.min(r.approvedWave(), r.waves().size() - 1)).name();
    }
}
