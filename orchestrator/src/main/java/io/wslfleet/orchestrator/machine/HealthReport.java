package io.wslfleet.orchestrator.machine;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;

/** One health report of a machine, kept for its history. */
@Entity
@Table(name = "health_report")
public class HealthReport extends PanacheEntityBase {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;
    @Column(name = "machine_id")
    public String machineId;
    @Column(name = "reported_at")
    public Instant reportedAt;
    public String state;
    public Integer generation;
    @Column(name = "system_path")
    public String systemPath;
    @Column(name = "failed_units")
    public String failedUnits;
}
