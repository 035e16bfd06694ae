package io.wslfleet.orchestrator.release;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;

/** A build requested through the API, and what the build workers reported of it. */
@Entity
@Table(name = "build")
public class Build extends PanacheEntityBase {
    public enum State { REQUESTED, RUNNING, PUBLISHED, FAILED }

    @Id
    public String id;
    public String version;
    @Column(name = "source_kind")
    public String sourceKind;
    @Column(name = "source_location")
    public String sourceLocation;
    @jakarta.persistence.Enumerated(jakarta.persistence.EnumType.STRING)
    public State state;
    public String step;
    @Column(name = "bytes_done")
    public long bytesDone;
    @Column(name = "bytes_total")
    public long bytesTotal;
    @Column(name = "failure_reason")
    public String failureReason;
    @Column(name = "failure_detail")
    public String failureDetail;
    @Column(name = "release_id")
    public String releaseId;
    @Column(name = "requested_by")
    public String requestedBy;
    @Column(name = "created_at")
    public Instant createdAt;
    @Column(name = "updated_at")
    public Instant updatedAt;
}
