package io.wslfleet.orchestrator.rollout;

import io.wslfleet.orchestrator.FleetConfig;
import io.wslfleet.orchestrator.api.ApiProblem;
import io.wslfleet.orchestrator.api.Problem;
import io.wslfleet.orchestrator.audit.AuditLog;
import io.wslfleet.protocol.events.UpgradeMode;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import jakarta.validation.Validator;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** What operators do to rollouts: create, start, pause, resume, cancel, roll back. Every action is audited. */
@ApplicationScoped
public class RolloutService {
    @Inject
    EntityManager em;
    @Inject
    Clock clock;
    @Inject
    FleetConfig config;
    @Inject
    RolloutEngine engine;
    @Inject
    RolloutRollback rollback;
    @Inject
    DeploymentBatches batches;
    @Inject
    RolloutTimeline timeline;
    @Inject
    AuditLog audit;
    @Inject
    Validator validator;

    /** Approves the current wave (or the first, before it starts) of a rollout that requires approvals. */
    @Transactional
    public Rollout approve(long id, String actor) {
        Rollout r = lock(id);
        if (!r.approvalRequired) {
            throw ApiProblem.conflict("rollout " + id + " does not require approvals");
        }
        requireState(r, Set.of(RolloutState.DRAFT, RolloutState.RUNNING, RolloutState.PAUSED), "approve");
        int before = r.approvedWave;
        r.approvedWave = Math.max(r.approvedWave, r.state == RolloutState.DRAFT ? 0 : r.currentWave);
        RolloutPlan plan = r.plan;
        int waves = r.state == RolloutState.DRAFT ? plan.waves().size() : RolloutEngine.waveCount(r);
        // one timeline entry per approval, in words: the timeline is this rollout's audit log
        timeline.record(r, actor, "APPROVED", PlanWords.waveName(plan, r.approvedWave, waves)
                + (before == r.approvedWave ? " (again)" : ""));
        return r;
    }

    @Transactional
    public Rollout create(CreateRolloutRequest request, String actor) {
        List<Problem.FieldError> errors = RolloutRequestCheck.check(request, em);
        if (!errors.isEmpty()) {
            throw ApiProblem.invalidFields(errors);
        }
        Rollout r = new Rollout();
        r.name = request.name();
        r.releaseId = request.releaseId();
        r.state = RolloutState.DRAFT;
        r.target = request.target();
        r.plan = plan(request);
        r.deadlineSeconds = request.deadlineSeconds() != null ? request.deadlineSeconds()
                : (int) config.rollout().defaultDeadline().toSeconds();
        r.autoRollback = request.autoRollback() == null || request.autoRollback();
        r.upgradeMode = request.mode() == null ? UpgradeMode.IN_PLACE : request.mode();
        r.backupFirst = Boolean.TRUE.equals(request.backupFirst());
        r.maintenanceWindow = request.maintenanceWindow();
        r.approvalRequired = Boolean.TRUE.equals(request.approvalRequired());
        r.maxConcurrent = request.maxConcurrentDownloads();
        r.createdBy = actor;
        r.createdAt = clock.instant();
        r.persist();
        audit.record(actor, "CREATED", "rollout", String.valueOf(r.id), null, AuditLog.json(r.plan));
        if (Boolean.TRUE.equals(request.start())) {
            start(r, actor);
        }
        return r;
    }

    /** How many openings of a maintenance window a preview shows. */
    static final int OPENINGS_SHOWN = 5;
    private static final DateTimeFormatter LOCAL_TIME = DateTimeFormatter.ofPattern("EEE d MMM uuuu, HH:mm zzz",
            Locale.ENGLISH);

    /** What {@link #create} would make of the request, and what it would refuse it for, without creating anything. */
    @Transactional
    public RolloutPreview preview(CreateRolloutRequest request) {
        // the request's own checks, and the bean constraints on the fields they do not already speak of
        List<Problem.FieldError> errors = new ArrayList<>(RolloutRequestCheck.check(request, em));
        Set<String> checked = new java.util.HashSet<>(errors.stream().map(Problem.FieldError::field).toList());
        validator.validate(request).stream().map(v -> new Problem.FieldError(v.getPropertyPath().toString(),
                v.getMessage())).filter(e -> !checked.contains(e.field())).forEach(errors::add);
        errors.sort(java.util.Comparator.comparing(Problem.FieldError::field));
        TargetFilter target = request.target();
        long matched = target == null || (target.isEmpty() && !Boolean.TRUE.equals(target.all())) ? 0
                : target.machines().admitted().count(em);
        List<RolloutPreview.WavePreview> waves = new ArrayList<>();
        boolean wavesValid = errors.stream().allMatch(e -> e.field().startsWith("name")
                || e.field().startsWith("releaseId") || e.field().startsWith("target"));
        if (wavesValid) {
            RolloutPlan plan = plan(request);
            List<Integer> sizes = plan.sizes((int) Math.min(matched, Integer.MAX_VALUE));
            for (int i = 0; i < plan.waves().size(); i++) {
                RolloutPlan.Wave w = plan.waves().get(i);
                waves.add(new RolloutPreview.WavePreview(w.name(), w.count(), w.percent(),
                        i < sizes.size() ? sizes.get(i) : 0, w.successThresholdPercent(), w.errorThresholdPercent(),
                        w.soakSeconds()));
            }
        }
        List<RolloutPreview.Opening> openings = new ArrayList<>();
        MaintenanceWindow window = request.maintenanceWindow();
        if (window != null) {
            ZoneId zone = ZoneId.of(window.timeZone());
            for (Instant opens : window.nextOpenings(clock.instant(), OPENINGS_SHOWN)) {
                openings.add(new RolloutPreview.Opening(opens, opens.plusSeconds(60L * window.durationMinutes()),
                        LOCAL_TIME.format(opens.atZone(zone))));
            }
        }
        return new RolloutPreview(matched, waves, openings, errors);
    }

    static RolloutPlan plan(CreateRolloutRequest request) {
        int success = request.successThresholdPercent() == null ? 100 : request.successThresholdPercent();
        int errors = request.errorThresholdPercent() == null ? 0 : request.errorThresholdPercent();
        long soak = request.soakSeconds() == null ? 0 : request.soakSeconds();
        List<RolloutPlan.Wave> waves = new ArrayList<>();
        CreateRolloutRequest.WaveSize canary = request.canary() == null
                ? new CreateRolloutRequest.WaveSize(1, null, null, null, null) : request.canary();
        waves.add(wave("canary", canary, success, errors, soak));
        List<CreateRolloutRequest.WaveSize> rest = request.waves() == null || request.waves().isEmpty()
                ? List.of(new CreateRolloutRequest.WaveSize(null, 100, null, null, null)) : request.waves();
        for (int i = 0; i < rest.size(); i++) {
            waves.add(wave("wave-" + (i + 1), rest.get(i), success, errors, soak));
        }
        return new RolloutPlan(waves);
    }

    private static RolloutPlan.Wave wave(String name, CreateRolloutRequest.WaveSize size, int success, int errors,
                                         long soak) {
        return new RolloutPlan.Wave(name, size.count(), size.percent(),
                size.successThresholdPercent() == null ? success : size.successThresholdPercent(),
                size.errorThresholdPercent() == null ? errors : size.errorThresholdPercent(),
                size.soakSeconds() == null ? soak : size.soakSeconds());
    }

    @Transactional
    public Rollout start(long id, String actor) {
        return start(lock(id), actor);
    }

    private Rollout start(Rollout r, String actor) {
        requireState(r, Set.of(RolloutState.DRAFT), "start");
        List<String> targets = r.target.machines().admitted().ids(em);
        if (targets.isEmpty()) {
            throw ApiProblem.conflict("no admitted machine matches the rollout's target");
        }
        List<Integer> sizes = r.plan.sizes(targets.size());
        Instant now = clock.instant();
        batches.insertPending(r.id, targets, sizes, now);
        r.state = RolloutState.RUNNING;
        r.startedAt = now;
        r.waveStartedAt = now;
        r.currentWave = 0;
        timeline.record(r, actor, "STARTED", targets.size() + " machines in " + sizes.size() + " waves " + sizes);
        engine.advance(r);
        return r;
    }

    @Transactional
    public Rollout pause(long id, String actor) {
        Rollout r = lock(id);
        requireState(r, Set.of(RolloutState.RUNNING), "pause");
        r.state = RolloutState.PAUSED;
        timeline.record(r, actor, "PAUSED", null);
        return r;
    }

    @Transactional
    public Rollout resume(long id, String actor) {
        Rollout r = lock(id);
        requireState(r, Set.of(RolloutState.PAUSED), "resume");
        r.state = RolloutState.RUNNING;
        timeline.record(r, actor, "RESUMED", null);
        engine.advance(r);
        return r;
    }

    @Transactional
    public Rollout cancel(long id, String actor) {
        Rollout r = lock(id);
        requireState(r, Set.of(RolloutState.DRAFT, RolloutState.RUNNING, RolloutState.PAUSED, RolloutState.HALTED),
                "cancel");
        Instant now = clock.instant();
        rollback.cancelPending(r, now);
        r.state = RolloutState.CANCELLED;
        r.finishedAt = now;
        timeline.record(r, actor, "CANCELLED", null);
        return r;
    }

    @Transactional
    public Rollout rollBack(long id, String actor) {
        Rollout r = lock(id);
        requireState(r, Set.of(RolloutState.RUNNING, RolloutState.PAUSED, RolloutState.HALTED,
                RolloutState.SUCCEEDED), "roll back");
        Instant now = clock.instant();
        rollback.cancelPending(r, now);
        rollback.rollBack(r, actor, "rolled back by " + actor, now);
        engine.advance(r);
        return r;
    }

    private Rollout lock(long id) {
        Rollout r = em.find(Rollout.class, id, LockModeType.PESSIMISTIC_WRITE);
        if (r == null) {
            throw ApiProblem.notFound("rollout", id);
        }
        return r;
    }

    private static void requireState(Rollout r, Set<RolloutState> allowed, String action) {
        if (!allowed.contains(r.state)) {
            throw ApiProblem.conflict("cannot " + action + " rollout " + r.id + " in state " + r.state);
        }
    }
}
