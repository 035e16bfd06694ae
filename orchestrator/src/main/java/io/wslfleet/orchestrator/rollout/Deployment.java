package io.wslfleet.orchestrator.rollout;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;

/** One machine in one rollout. */
@Entity
@Table(name = "deployment")
public class Deployment extends PanacheEntityBase {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;
    @Column(name = "rollout_id")
    public Long rolloutId;
    @Column(name = "machine_id")
    public String machineId;
    public int wave;
    @Enumerated(EnumType.STRING)
    public DeploymentState state;
    @Column(name = "command_id")
    public String commandId;
    @Column(name = "rollback_command_id")
    public String rollbackCommandId;
    /** The generation the machine ran before this rollout moved it: where a fleet rollback returns it to. */
    @Column(name = "previous_generation")
    public Integer previousGeneration;
    @Column(name = "previous_system_path")
    public String previousSystemPath;
    @Column(name = "reported_system_path")
    public String reportedSystemPath;
    public String reason;
    public String message;
    @Column(name = "failed_units")
    public String failedUnits;
    @Column(name = "log_tail")
    public String logTail;
    @Column(name = "commanded_at")
    public Instant commandedAt;
    @Column(name = "deadline_at")
    public Instant deadlineAt;
    @Column(name = "finished_at")
    public Instant finishedAt;
    @Column(name = "updated_at")
    public Instant updatedAt;
}
