package io.wslfleet.orchestrator.support;

import io.wslfleet.protocol.events.NixosMetadata;
import io.wslfleet.protocol.events.ReleasePublished;

import java.util.UUID;

/** Test data with unique names, since every test class shares one broker and one database. */
public final class Fixtures {
    private Fixtures() {
    }

    public static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    public static String systemPath(String version) {
        return "/nix/store/" + UUID.nameUUIDFromBytes(version.getBytes()).toString().replace("-", "")
                + "-nixos-system-nixos-" + version;
    }

    /** Publishes a release on fleet.artifacts as a build worker would, and returns its id. */
    /** The build key the orchestrator under test trusts (see {@link FleetInfraResource}). */
    public static final String BUILD_KEY_ID = "test-build-1";
    public static final String ARTIFACT_BASE = "http://127.0.0.1:1/artifacts/";
    private static final java.security.KeyPair BUILD_KEY = io.wslfleet.protocol.release.Ed25519.generate();

    public static java.security.PrivateKey buildPrivateKey() {
        return BUILD_KEY.getPrivate();
    }

    public static String buildPublicKey() {
        return io.wslfleet.protocol.release.Ed25519.encode(BUILD_KEY.getPublic());
    }

    public static ReleasePublished publishRelease(String version) {
        ReleasePublished release = signedRelease(version, BUILD_KEY.getPrivate(), BUILD_KEY_ID);
        TestBus.publish("/build-worker/test", release);
        return release;
    }

    /** A release of {@code version} whose manifest {@code key} signed as {@code keyId}. */
    public static ReleasePublished signedRelease(String version, java.security.PrivateKey key, String keyId) {
        String sha = UUID.randomUUID().toString().replace("-", "") + UUID.randomUUID().toString().replace("-", "");
        NixosMetadata nixos = new NixosMetadata("25.05", "nixos", systemPath(version), 1, "2505.7.0", 4096, 10);
        var signed = io.wslfleet.protocol.release.SignedManifest.sign(new io.wslfleet.protocol.release.ReleaseManifest(
                "rel-" + version, version, sha, 1024, nixos, java.time.Instant.now(), keyId), key);
        return new ReleasePublished("rel-" + version, unique("b"), version, sha, 1024,
                ARTIFACT_BASE + sha + "/nixos.wsl", signed.manifestJson(), signed.signature(), signed.keyId(), nixos);
    }
}
