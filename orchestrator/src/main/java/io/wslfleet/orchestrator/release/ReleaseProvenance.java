package io.wslfleet.orchestrator.release;

import io.wslfleet.orchestrator.FleetConfig;
import io.wslfleet.orchestrator.bus.RejectedEvent;
import io.wslfleet.protocol.RejectReason;
import io.wslfleet.protocol.events.ReleasePublished;
import io.wslfleet.protocol.release.ManifestVerifier;
import io.wslfleet.protocol.release.ReleaseManifest;
import io.wslfleet.protocol.release.UntrustedReleaseException;
import io.wslfleet.orchestrator.trust.SecurityRefusals;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.List;

/**
 * Whether a published release may enter the catalog: its manifest signed by a trusted build key
 * ({@code fleet.trust.build-keys}), the event's claims (id, version, sha256, size, system) those of the signed
 * manifest, its download URL under an allowed base ({@code fleet.trust.artifact-base-urls}), and its id not already
 * cataloged with other content. A refusal is final (the event goes to the dead-letter topic), counted in
 * {@code fleet_security_refusals_total{reason}} and audited under the event's source.
 */
@ApplicationScoped
public class ReleaseProvenance {
    private static final Logger LOG = Logger.getLogger(ReleaseProvenance.class);

    @Inject
    FleetConfig config;
    @Inject
    SecurityRefusals refusals;

    private ManifestVerifier verifier;
    private List<String> allowedBases;

    @PostConstruct
    void init() {
        verifier = ManifestVerifier.parse(config.trust().buildKeys().orElse(""));
        allowedBases = config.trust().artifactBaseUrls().orElse(List.of());
        if (config.trust().buildKeys().orElse("").isBlank()) {
            LOG.warn("no trusted build keys (fleet.trust.build-keys / FLEET_TRUST_BUILD_KEYS): every release is refused");
        }
        if (allowedBases.isEmpty()) {
            LOG.warn("no allowed artifact base URLs (FLEET_TRUST_ARTIFACT_BASE_URLS): releases may name any download "
                    + "URL (agents still check the signed sha256 of what they download)");
        }
    }

    void check(ReleasePublished published, String source) {
        ReleaseManifest manifest;
        try {
            manifest = verifier.verify(published.manifest(), published.signature(), published.keyId());
        } catch (UntrustedReleaseException e) {
            throw refuse(RejectReason.UNTRUSTED_RELEASE, published, source, e.getMessage());
        }
        String mismatch = mismatch(published, manifest);
        if (mismatch != null) {
            throw refuse(RejectReason.UNTRUSTED_RELEASE, published, source, "the event's " + mismatch
                    + " is not the signed manifest's");
        }
        if (!allowedBases.isEmpty() && allowedBases.stream().noneMatch(base -> isUnder(published.downloadUrl(), base))) {
            throw refuse(RejectReason.UNTRUSTED_RELEASE, published, source, "download URL "
                    + published.downloadUrl() + " is under none of the allowed bases " + allowedBases);
        }
        Release known = Release.findById(published.releaseId());
        if (known != null && !(known.sha256.equals(published.sha256()) && known.manifest.equals(published.manifest())
                && known.downloadUrl.equals(published.downloadUrl()))) {
            throw refuse(RejectReason.RELEASE_CONFLICT, published, source, "release " + published.releaseId()
                    + " is cataloged with other content (sha256 " + known.sha256 + "); a release id never changes");
        }
    }

    /**
     * Whether {@code url} lies under {@code base}: the same scheme, host and port (compared parsed, not as text, so
     * {@code https://artifacts.example.com.attacker.net/} is not under {@code https://artifacts.example.com}), and a
     * path that is the base's path or continues it after a {@code /}. No user info, no dot segments.
     */
    static boolean isUnder(String url, String base) {
        try {
            java.net.URI u = new java.net.URI(url);
            java.net.URI b = new java.net.URI(base);
            if (u.getScheme() == null || u.getHost() == null || u.getRawUserInfo() != null || b.getHost() == null
                    || !u.getScheme().equalsIgnoreCase(b.getScheme()) || !u.getHost().equalsIgnoreCase(b.getHost())
                    || port(u) != port(b)) {
                return false;
            }
            String path = u.getRawPath() == null ? "" : u.getRawPath();
            if (path.contains("/../") || path.endsWith("/..") || path.contains("/./") || path.contains("%2e")
                    || path.contains("%2E")) {
                return false;
            }
            String basePath = b.getRawPath() == null ? "" : b.getRawPath();
            String prefix = basePath.endsWith("/") ? basePath : basePath + "/";
            return path.equals(basePath) || path.startsWith(prefix);
        } catch (java.net.URISyntaxException e) {
            return false;
        }
    }

    private static int port(java.net.URI u) {
        if (u.getPort() != -1) {
            return u.getPort();
        }
        return "https".equalsIgnoreCase(u.getScheme()) ? 443 : "http".equalsIgnoreCase(u.getScheme()) ? 80 : -1;
    }

    private static String mismatch(ReleasePublished p, ReleaseManifest m) {
        if (!p.releaseId().equals(m.releaseId())) {
            return "release id";
        }
        if (!p.version().equals(m.version())) {
            return "version";
        }
        if (!p.sha256().equalsIgnoreCase(m.sha256())) {
            return "sha256";
        }
        if (p.size() != m.size()) {
            return "size";
        }
        if (m.nixos() != null && !p.nixos().systemPath().equals(m.nixos().systemPath())) {
            return "system path";
        }
        return null;
    }

    private RejectedEvent refuse(RejectReason reason, ReleasePublished published, String source, String detail) {
        LOG.warnf("release %s refused (%s) from %s: %s", published.releaseId(), reason, source, detail);
        // the event's own transaction is rolled back with the refusal: the audit entry stands on its own (bounded)
        refusals.refused(source, "release", published.releaseId(), reason, detail);
        return new RejectedEvent(reason, detail);
    }
}
