package io.wslfleet.orchestrator.rollout;

import io.wslfleet.orchestrator.audit.AuditLog;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/** The decisions taken about a rollout (started, halted, rolled back, by whom), kept in the audit log. */
@ApplicationScoped
public class RolloutTimeline {
    @Inject
    AuditLog audit;

    public void record(Rollout rollout, String actor, String action, String detail) {
        audit.record(actor, action, "rollout", String.valueOf(rollout.id), null, detail);
    }
}
