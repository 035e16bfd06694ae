package io.wslfleet.orchestrator.release;

import io.wslfleet.orchestrator.bus.Outbox;
import io.wslfleet.protocol.CloudEvent;
import io.wslfleet.protocol.events.BuildEvent;
import io.wslfleet.protocol.events.BuildFailed;
import io.wslfleet.protocol.events.BuildProgress;
import io.wslfleet.protocol.events.BuildRequested;
import io.wslfleet.protocol.events.ReleasePublished;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.UUID;

/**
 * Records releases and build progress from {@code fleet.artifacts}, and requests builds. A release is cataloged only
 * when {@link ReleaseProvenance} vouches for it, and a release id, once cataloged, keeps its content.
 */
@ApplicationScoped
public class ReleaseCatalog {
    @Inject
    Clock clock;
    @Inject
    Outbox outbox;
    @Inject
    ReleaseProvenance provenance;

    /** Releases never change their system: a path once found stays found. */
    private final Map<String, String> releaseBySystem = new ConcurrentHashMap<>();
    /** Paths with no release, not asked again until the instant given (another instance may record the release). */
    private final Map<String, Instant> unknownUntil = new ConcurrentHashMap<>();

    /**
     * The release whose system is {@code systemPath}, or null: asked on every heartbeat, so answered from memory,
     * and for a path without a release at most every 10 seconds from the database.
     */
    public String idOf(String systemPath) {
        if (systemPath == null) {
            return null;
        }
        String known = releaseBySystem.get(systemPath);
        if (known != null) {
            return known;
        }
        Instant now = clock.instant();
        Instant until = unknownUntil.get(systemPath);
        if (until != null && now.isBefore(until)) {
            return null;
        }
        Optional<Release> release = Release.bySystemPath(systemPath);
        if (release.isPresent()) {
            releaseBySystem.put(systemPath, release.get().id);
            unknownUntil.remove(systemPath);
            return release.get().id;
        }
        if (unknownUntil.size() > 10_000) {
            unknownUntil.clear();
        }
        unknownUntil.put(systemPath, now.plusSeconds(10));
        return null;
    }

    @Transactional(Transactional.TxType.MANDATORY)
    public void apply(CloudEvent<? extends BuildEvent> event) {
        BuildEvent data = event.data();
        if (data instanceof ReleasePublished published) {
            provenance.check(published, event.source());
            record(published);
        } else if (data instanceof BuildProgress progress) {
            Build b = recorded(progress.buildId());
            if (b.state != Build.State.PUBLISHED && b.state != Build.State.FAILED) {
                b.state = Build.State.RUNNING;
                b.step = progress.step();
                b.bytesDone = progress.bytesDone();
                b.bytesTotal = progress.bytesTotal();
                b.updatedAt = clock.instant();
            }
        } else if (data instanceof BuildFailed failed) {
            // a published build stays published: its release is signed, a failure report is not
            Build b = recorded(failed.buildId());
            if (b.state != Build.State.PUBLISHED) {
                b.state = Build.State.FAILED;
                b.failureReason = failed.reason();
                b.failureDetail = failed.detail();
                b.updatedAt = clock.instant();
            }
        }
        // BuildRequested is ours; it is not expected back on fleet.artifacts
    }

    private void record(ReleasePublished published) {
        unknownUntil.remove(published.nixos().systemPath());
        if (Release.findById(published.releaseId()) == null) {
            Release r = new Release();
            r.id = published.releaseId();
            r.buildId = published.buildId();
            r.version = published.version();
            r.sha256 = published.sha256();
            r.sizeBytes = published.size();
            r.downloadUrl = published.downloadUrl();
            r.manifest = published.manifest();
            r.signature = published.signature();
            r.keyId = published.keyId();
            r.nixosVersion = published.nixos().nixosVersion();
            r.hostName = published.nixos().hostName();
            r.systemPath = published.nixos().systemPath();
            r.generation = published.nixos().generation();
            r.nixosWslVersion = published.nixos().nixosWslVersion();
            r.uncompressedBytes = published.nixos().uncompressedSize();
            r.entryCount = published.nixos().entryCount();
            r.publishedAt = clock.instant();
            r.persist();
            // machines that reported this system before its release was cataloged run it: say so now, rather than
            // wait for their next report (which a machine at rest may not send for a long while)
            Release.getEntityManager().createNativeQuery("update machine set current_release_id = :id "
                    + "where current_system_path = :path and current_release_id is null")
                    .setParameter("id", r.id).setParameter("path", r.systemPath).executeUpdate();
        }
        Build b = recorded(published.buildId());
        b.state = Build.State.PUBLISHED;
        b.releaseId = published.releaseId();
        if (b.version == null) {
            b.version = published.version();
        }
        // finished: no step in progress any more (it said STORING, the worker's last step, for good)
        b.step = null;
        b.bytesDone = b.bytesTotal;
        b.updatedAt = clock.instant();
    }

    /**
     * The build of this id. One that this API did not request (asked for straight on {@code fleet.build-requests},
     * as the sandbox's demo build is) is recorded at the first event a build worker sends about it, so that every
     * build is listed; its version and source stay unknown until its release says its version. Two instances can
     * see a build's first events at once (a release is keyed by its release id, progress by its build id), so the
     * insert leaves a row that is already there alone.
     */
    private Build recorded(String buildId) {
        Build known = Build.findById(buildId);
        if (known != null) {
            return known;
        }
        Timestamp now = Timestamp.from(clock.instant());
        Build.getEntityManager().createNativeQuery("insert into build (id, state, created_at, updated_at) "
                        + "values (:id, :state, :now, :now) on conflict (id) do nothing")
                .setParameter("id", buildId).setParameter("state", Build.State.REQUESTED.name())
                .setParameter("now", now).executeUpdate();
        return Build.findById(buildId);
    }

    /** Records the build and the request for a build worker in one transaction. */
    @Transactional
    public Build requestBuild(String version, BuildRequested.Source source, BuildRequested.Customization customization,
                              String requestedBy) {
        Build b = new Build();
        b.id = "b-" + UUID.randomUUID();
        b.version = version;
        b.sourceKind = source.kind().name();
        b.sourceLocation = source.location();
        b.state = Build.State.REQUESTED;
        b.requestedBy = requestedBy;
        b.createdAt = clock.instant();
        b.updatedAt = b.createdAt;
        b.persist();
        outbox.enqueue(new BuildRequested(b.id, version, source, customization, requestedBy));
        return b;
    }
}
