package io.wslfleet.orchestrator.dashboard;

import io.quarkus.qute.TemplateExtension;

/** Small helpers for the dashboard templates. */
@TemplateExtension
public final class DashboardExtensions {

    private DashboardExtensions() {
    }

    /** {@code part} as a whole percent of {@code whole}, 0 when there is no whole: {@code {w.succeeded.percentOf(w.size)}}. */
    public static long percentOf(Number part, Number whole) {
        return whole == null || whole.longValue() == 0 || part == null ? 0 : part.longValue() * 100 / whole.longValue();
    }
}
