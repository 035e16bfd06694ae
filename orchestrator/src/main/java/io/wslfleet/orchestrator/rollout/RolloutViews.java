package io.wslfleet.orchestrator.rollout;

import io.wslfleet.orchestrator.api.ApiProblem;
import io.wslfleet.orchestrator.api.Page;
import io.wslfleet.orchestrator.audit.AuditLog;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Rollouts as operators read them: each wave's progress against its thresholds, deployments, the timeline. */
@ApplicationScoped
public class RolloutViews {
    @Inject
    RolloutEngine engine;
    @Inject
    AuditLog audit;
    @Inject
    Clock clock;

    public Page<RolloutView> list(RolloutState state, int page, int size) {
        var query = state == null ? Rollout.<Rollout>find("order by id desc")
                : Rollout.<Rollout>find("state = ?1 order by id desc", state);
        List<RolloutView> items = query.page(page, size).list().stream().map(this::view).toList();
        return new Page<>(items, page, size, query.count());
    }

    public RolloutView get(long id) {
        return view(find(id));
    }

    public Page<RolloutView.DeploymentView> deployments(long id, DeploymentState state, int page, int size) {
        find(id);
        var query = state == null ? Deployment.<Deployment>find("rolloutId = ?1 order by wave, machineId", id)
                : Deployment.<Deployment>find("rolloutId = ?1 and state = ?2 order by wave, machineId", id, state);
        return new Page<>(query.page(page, size).list().stream().map(RolloutView.DeploymentView::of).toList(), page,
                size, query.count());
    }

    /** The deployments that failed or were stopped with a reason, at most {@code limit}. */
    public List<RolloutView.DeploymentView> failed(long id, int limit) {
        find(id);
        return Deployment.<Deployment>find("rolloutId = ?1 and (reason is not null or failedUnits is not null) "
                        + "order by wave, machineId", id).page(0, limit).list().stream()
                .map(RolloutView.DeploymentView::of).toList();
    }

    /**
     * The decisions taken about the rollout, oldest first. The audit log keeps the plan a rollout was created with as
     * JSON; the timeline tells it in words.
     */
    public List<RolloutView.TimelineEntry> timeline(long id) {
        Rollout r = find(id);
        return audit.of("rollout", String.valueOf(id)).stream()
                .map(e -> new RolloutView.TimelineEntry(e.at, e.actor, e.action,
                        "CREATED".equals(e.action) ? "plan: " + PlanWords.describe(r.plan) : e.after))
                .toList();
    }

    RolloutView view(Rollout r) {
        MaintenanceWindow window = r.maintenanceWindow;
        RolloutPlan plan = r.plan;
        int waveCount = Math.max(RolloutEngine.waveCount(r), r.state == RolloutState.DRAFT ? plan.waves().size() : 0);
        List<RolloutView.WaveView> waves = new ArrayList<>();
        for (int i = 0; i < waveCount; i++) {
            RolloutPlan.Wave w = plan.waves().get(Math.min(i, plan.waves().size() - 1));
            WaveRules.Counts c = engine.counts(r, i);
            waves.add(new RolloutView.WaveView(i, PlanWords.waveName(plan, i, waveCount), c.total(), c.succeeded(),
                    c.errors(), c.inFlight(), c.pending(), c.cancelled(), w.successThresholdPercent(),
                    w.errorThresholdPercent(), w.soakSeconds()));
        }
        Instant now = clock.instant();
        return new RolloutView(r.id, r.name, r.releaseId, r.state, r.currentWave,
                r.target, PlanWords.describe(plan), waves, r.deadlineSeconds,
                r.autoRollback, r.upgradeMode, r.backupFirst, r.createdBy, r.createdAt, r.startedAt, r.finishedAt,
                r.soakUntil, r.haltReason, window, window == null ? null : window.isOpen(now),
                window == null ? null : window.nextOpening(now).orElse(null), r.approvalRequired, r.approvedWave,
                r.waitingFor, r.maxConcurrent);
    }

    private static Rollout find(long id) {
        Rollout r = Rollout.findById(id);
        if (r == null) {
            throw ApiProblem.notFound("rollout", id);
        }
        return r;
    }
}
