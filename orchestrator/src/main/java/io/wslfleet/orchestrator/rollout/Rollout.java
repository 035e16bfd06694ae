package io.wslfleet.orchestrator.rollout;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import io.wslfleet.protocol.events.UpgradeMode;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

import java.time.Instant;

@Entity
@Table(name = "rollout")
public class Rollout extends PanacheEntityBase {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;
    public String name;
    @Column(name = "release_id")
    public String releaseId;
    @Enumerated(EnumType.STRING)
    public RolloutState state;
    @JdbcTypeCode(SqlTypes.JSON)
    public TargetFilter target;
    @JdbcTypeCode(SqlTypes.JSON)
    public RolloutPlan plan;
    @Column(name = "current_wave")
    public int currentWave;
    @Column(name = "wave_started_at")
    public Instant waveStartedAt;
    @Column(name = "soak_until")
    public Instant soakUntil;
    @Column(name = "deadline_seconds")
    public int deadlineSeconds;
    @Column(name = "auto_rollback")
    public boolean autoRollback;
    @Enumerated(EnumType.STRING)
    @Column(name = "upgrade_mode")
    public UpgradeMode upgradeMode;
    @Column(name = "backup_first")
    public boolean backupFirst;
    @Column(name = "created_by")
    public String createdBy;
    @Column(name = "created_at")
    public Instant createdAt;
    @Column(name = "started_at")
    public Instant startedAt;
    @Column(name = "finished_at")
    public Instant finishedAt;
    @Column(name = "halt_reason")
    public String haltReason;
    /** Null: commands go out at any time. */
    @Column(name = "maintenance_window")
    @JdbcTypeCode(SqlTypes.JSON)
    public MaintenanceWindow maintenanceWindow;
    @Column(name = "approval_required")
    public boolean approvalRequired;
    /** The highest wave index an operator approved (-1: none). */
    @Column(name = "approved_wave")
    public int approvedWave = -1;
    /** At most this many machines downloading or installing at once; null: no cap. */
    @Column(name = "max_concurrent")
    public Integer maxConcurrent;
    /** {@code APPROVAL} or {@code MAINTENANCE_WINDOW} while the current wave waits; null otherwise. */
    @Column(name = "waiting_for")
    public String waitingFor;
    @Version
    public long version;
}
