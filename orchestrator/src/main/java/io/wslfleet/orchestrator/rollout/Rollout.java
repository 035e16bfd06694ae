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
    /** JSON of {@link TargetFilter}. */
    public String target;
    /** JSON of {@link RolloutPlan}. */
    public String plan;
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
    @Version
    public long version;
}
