package io.wslfleet.orchestrator.release;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;
import java.util.Optional;

/** A published, signed release, as the build worker announced it. Immutable once recorded. */
@Entity
@Table(name = "release")
public class Release extends PanacheEntityBase {
    @Id
    public String id;
    @Column(name = "build_id")
    public String buildId;
    public String version;
    public String sha256;
    @Column(name = "size_bytes")
    public long sizeBytes;
    @Column(name = "download_url")
    public String downloadUrl;
    public String manifest;
    public String signature;
    @Column(name = "key_id")
    public String keyId;
    @Column(name = "nixos_version")
    public String nixosVersion;
    @Column(name = "host_name")
    public String hostName;
    @Column(name = "system_path")
    public String systemPath;
    public int generation;
    @Column(name = "nixos_wsl_version")
    public String nixosWslVersion;
    @Column(name = "uncompressed_bytes")
    public long uncompressedBytes;
    @Column(name = "entry_count")
    public long entryCount;
    @Column(name = "published_at")
    public Instant publishedAt;

    public static Optional<Release> bySystemPath(String systemPath) {
        if (systemPath == null) {
            return Optional.empty();
        }
        return find("systemPath", systemPath).firstResultOptional();
    }
}
