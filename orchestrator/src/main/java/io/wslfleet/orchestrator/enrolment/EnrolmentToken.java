package io.wslfleet.orchestrator.enrolment;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

import java.time.Instant;
import java.util.Map;

/** A token an admin made to admit machines at once: only the SHA-256 of its secret is kept. */
@Entity
@Table(name = "enrolment_token")
public class EnrolmentToken extends PanacheEntityBase {
    @Id
    public String id;
    @Column(name = "secret_sha256")
    public String secretSha256;
    @Column(name = "expires_at")
    public Instant expiresAt;
    @Column(name = "max_uses")
    public int maxUses;
    public int uses;
    public String ring;
    /** Granted to the machines it admits. */
    @JdbcTypeCode(SqlTypes.JSON)
    public Map<String, String> labels = Map.of();
    @Column(name = "created_by")
    public String createdBy;
    @Column(name = "created_at")
    public Instant createdAt;
    @Column(name = "revoked_at")
    public Instant revokedAt;

    /** Why this token admits nobody at {@code now}, or null when it still admits. */
    public String unusableAt(Instant now) {
        if (revokedAt != null) {
            return "revoked at " + revokedAt;
        }
        if (!now.isBefore(expiresAt)) {
            return "expired at " + expiresAt;
        }
        if (uses >= maxUses) {
            return "used up (" + uses + " of " + maxUses + ")";
        }
        return null;
    }
}
