package io.wslfleet.orchestrator.machine;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Convert;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.LockModeType;
import jakarta.persistence.Table;
import io.wslfleet.protocol.events.Inventory;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** One agent (a Windows user on a workstation) and the NixOS distro it manages, as last reported. */
@Entity
@Table(name = "machine")
public class Machine extends PanacheEntityBase {
    @Id
    public String id;
    @Column(name = "machine_id")
    public String machineId;
    @Column(name = "windows_user")
    public String windowsUser;
    public String hostname;
    @Column(name = "windows_build")
    public String windowsBuild;
    @Column(name = "wsl_version")
    public String wslVersion;
    @Column(name = "kernel_version")
    public String kernelVersion;
    @Column(name = "agent_version")
    public String agentVersion;
    @Column(name = "free_disk_bytes")
    public Long freeDiskBytes;
    public String ring;
    @JdbcTypeCode(SqlTypes.JSON)
    public Map<String, String> labels = Map.of();
    @Column(name = "distro_name")
    public String distroName;
    @Column(name = "distro_state")
    public String distroState;
    /** Stored by its wire name: healthy, degraded, failed, absent or unknown. */
    @Column(name = "health_state")
    @Convert(converter = HealthStateColumn.class)
    public HealthState healthState = HealthState.UNKNOWN;
    @Column(name = "failed_units")
    public String failedUnits;
    @Column(name = "current_generation")
    public Integer currentGeneration;
    @Column(name = "current_system_path")
    public String currentSystemPath;
    @Column(name = "current_release_id")
    public String currentReleaseId;
    /** The last inventory it registered with. */
    @JdbcTypeCode(SqlTypes.JSON)
    public Inventory inventory;
    /** The agent's epoch of the last applied event: events order by (epoch, sequence), see {@code AgentEvent}. */
    @Column(name = "agent_epoch")
    public long agentEpoch;
    @Column(name = "last_sequence")
    public long lastSequence;
    @Column(name = "registered_at")
    public Instant registeredAt;
    @Column(name = "last_seen_at")
    public Instant lastSeenAt;
    @Column(name = "health_checked_at")
    public Instant healthCheckedAt;
    /** When the last health report row was written for this machine (history keeps changes and samples). */
    @Column(name = "health_reported_at")
    public Instant healthReportedAt;
    @Enumerated(EnumType.STRING)
    public Enrolment enrolment = Enrolment.PENDING;
    /** The enrolled Ed25519 key (base64 X.509) every event of this machine must be signed with. */
    @Column(name = "public_key")
    public String publicKey;
    /** The enrolled key's fingerprint: what {@code fleet_sig_key} names. */
    @Column(name = "key_id")
    public String keyId;
    /** Another key this machine presented (a reinstalled agent, or an impostor): used only once an operator re-keys. */
    @Column(name = "offered_public_key")
    public String offeredPublicKey;
    /** The labels (ring included) its enrolment token granted: the agent's own labels never override them. */
    @Column(name = "granted_labels")
    @JdbcTypeCode(SqlTypes.JSON)
    public Map<String, String> grantedLabels;
    @Column(name = "admitted_at")
    public Instant admittedAt;
    @Column(name = "admitted_by")
    public String admittedBy;

    public boolean admitted() {
        return enrolment == Enrolment.ACCEPTED;
    }

    /**
     * The machines with these ids, read a thousand per query (within PostgreSQL's bind-parameter limit), each query's
     * rows in id order. With a lock, give the ids sorted: instances side by side then lock in the same order.
     */
    public static List<Machine> byIds(List<String> ids, LockModeType lock) {
        List<Machine> found = new ArrayList<>(ids.size());
        for (int from = 0; from < ids.size(); from += 1000) {
            found.addAll(getEntityManager().createQuery("from Machine m where m.id in :ids order by m.id", Machine.class)
                    .setParameter("ids", ids.subList(from, Math.min(ids.size(), from + 1000)))
                    .setLockMode(lock).getResultList());
        }
        return found;
    }
}
