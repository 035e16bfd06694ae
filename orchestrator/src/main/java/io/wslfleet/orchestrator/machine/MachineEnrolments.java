package io.wslfleet.orchestrator.machine;

import io.wslfleet.orchestrator.api.ApiProblem;
import io.wslfleet.orchestrator.audit.AuditLog;
import io.wslfleet.protocol.trust.TrustedKeys;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;

import java.time.Clock;
import java.util.Set;

/**
 * An operator's decisions on machines: accept a pending (or rejected) one, reject a pending one, revoke an admitted
 * one (its unfinished deployments cancelled, its events and commands cut off), decommission any (gone from the fleet,
 * kept for its history), re-key one to the key it offered. Each is audited with the actor and what changed.
 */
@ApplicationScoped
public class MachineEnrolments {
    @Inject
    AuditLog audit;
    @Inject
    Clock clock;
    @Inject
    MachineCommands rollouts;

    @Transactional
    public Machine accept(String id, String actor) {
        Machine m = lock(id);
        require(m, Set.of(Enrolment.PENDING, Enrolment.REJECTED), "accept");
        if (m.publicKey == null) {
            throw ApiProblem.conflict(id + " has not registered a key yet: it cannot be accepted");
        }
        Enrolment before = m.enrolment;
        m.enrolment = Enrolment.ACCEPTED;
        m.admittedAt = clock.instant();
        m.admittedBy = actor;
        audit.record(actor, "ENROLMENT_ACCEPTED", "machine", id, before.name(), m.enrolment + ", key " + m.keyId);
        return m;
    }

    @Transactional
    public Machine reject(String id, String actor) {
        Machine m = lock(id);
        require(m, Set.of(Enrolment.PENDING), "reject");
        m.enrolment = Enrolment.REJECTED;
        audit.record(actor, "ENROLMENT_REJECTED", "machine", id, Enrolment.PENDING.name(),
                m.enrolment + ", key " + m.keyId);
        return m;
    }

    @Transactional
    public Machine revoke(String id, String actor) {
        Machine m = lock(id);
        require(m, Set.of(Enrolment.ACCEPTED), "revoke");
        m.enrolment = Enrolment.REVOKED;
        int cancelled = rollouts.cutOff(id, "revoked by " + actor);
        audit.record(actor, "ENROLMENT_REVOKED", "machine", id, Enrolment.ACCEPTED.name(),
                m.enrolment + ", key " + m.keyId + "; " + cancelled + " unfinished deployments cancelled");
        return m;
    }

    @Transactional
    public Machine decommission(String id, String actor) {
        Machine m = lock(id);
        require(m, Set.of(Enrolment.PENDING, Enrolment.ACCEPTED, Enrolment.REJECTED, Enrolment.REVOKED),
                "decommission");
        Enrolment before = m.enrolment;
        m.enrolment = Enrolment.DECOMMISSIONED;
        int cancelled = rollouts.cutOff(id, "decommissioned by " + actor);
        audit.record(actor, "ENROLMENT_DECOMMISSIONED", "machine", id, before.name(),
                m.enrolment + ", key " + m.keyId + "; " + cancelled + " unfinished deployments cancelled");
        return m;
    }

    /** Takes the key the machine offered (a reinstalled agent) as its enrolled key; its standing stays as it was. */
    @Transactional
    public Machine rekey(String id, String actor) {
        Machine m = lock(id);
        if (m.offeredPublicKey == null) {
            throw ApiProblem.conflict(id + " has offered no other key");
        }
        require(m, Set.of(Enrolment.PENDING, Enrolment.ACCEPTED, Enrolment.REJECTED, Enrolment.REVOKED), "re-key");
        String before = m.keyId;
        m.publicKey = m.offeredPublicKey;
        m.keyId = TrustedKeys.fingerprint(m.publicKey);
        m.offeredPublicKey = null;
        audit.record(actor, "ENROLMENT_REKEYED", "machine", id, before, m.keyId + " (" + m.enrolment + ")");
        return m;
    }

    private static Machine lock(String id) {
        Machine m = Machine.findById(id, LockModeType.PESSIMISTIC_WRITE);
        if (m == null) {
            throw ApiProblem.notFound("machine", id);
        }
        return m;
    }

    private static void require(Machine m, Set<Enrolment> allowed, String action) {
        if (!allowed.contains(m.enrolment)) {
            throw ApiProblem.conflict("cannot " + action + " " + m.id + ": it is " + m.enrolment + " (allowed from "
                    + allowed + ")");
        }
    }
}
