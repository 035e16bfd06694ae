package io.wslfleet.orchestrator.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.wslfleet.protocol.Json;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import java.time.Clock;
import java.util.List;

/** Appends to the audit log, in the caller's transaction, so an entry exists exactly when its change does. */
@ApplicationScoped
public class AuditLog {
    @Inject
    Clock clock;

    @Transactional(Transactional.TxType.MANDATORY)
    public void record(String actor, String action, String entity, String entityId, String before, String after) {
        AuditEntry e = new AuditEntry();
        e.at = clock.instant();
        e.actor = actor;
        e.action = action;
        e.entity = entity;
        e.entityId = entityId;
        e.before = before;
        e.after = after;
        e.persist();
    }

    /** A value as an entry quotes it (labels, a plan): in the wire format's JSON. */
    public static String json(Object value) {
        try {
            return Json.MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public List<AuditEntry> of(String entity, String entityId) {
        return AuditEntry.list("entity = ?1 and entityId = ?2 order by id", entity, entityId);
    }
}
