package io.wslfleet.orchestrator.support;

import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.wslfleet.protocol.release.Ed25519;
import io.wslfleet.protocol.release.ReleaseManifest;
import io.wslfleet.protocol.release.SignedManifest;
import io.wslfleet.protocol.trust.Signer;
import io.wslfleet.protocol.events.NixosMetadata;
import io.wslfleet.protocol.events.ReleasePublished;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
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

    /** The build key the orchestrator under test trusts (see {@link FleetInfraResource}). */
    public static final String BUILD_KEY_ID = "test-build-1";
    public static final String ARTIFACT_BASE = "http://127.0.0.1:1/artifacts/";
    private static final KeyPair BUILD_KEY = Ed25519.generate();

    public static PrivateKey buildPrivateKey() {
        return BUILD_KEY.getPrivate();
    }

    public static String buildPublicKey() {
        return Ed25519.encode(BUILD_KEY.getPublic());
    }

    public static Signer buildSigner() {
        return new Signer(BUILD_KEY_ID, BUILD_KEY.getPrivate());
    }

    // ---- the orchestrator's signing keys: a key file the test writes, as a mounted secret would hold them ---------

    private static final Map<String, KeyPair> ORCHESTRATOR_KEYS =
            new ConcurrentHashMap<>();
    private static Path orchestratorKeyFile;

    /** The key file the orchestrator under test signs with (made once, with key {@code orchestrator-test-1}). */
    public static synchronized Path orchestratorKeyFile() {
        if (orchestratorKeyFile == null) {
            try {
                orchestratorKeyFile = Files.createTempFile("orchestrator-keys", ".txt");
                orchestratorKeyFile.toFile().deleteOnExit();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            addOrchestratorKey("orchestrator-test-1");
        }
        return orchestratorKeyFile;
    }

    /** Appends a new key to the key file: it becomes the active one (a rotation); agents trust it from now on. */
    public static synchronized void addOrchestratorKey(String keyId) {
        KeyPair pair = Ed25519.generate();
        ORCHESTRATOR_KEYS.put(keyId, pair);
        try {
            Files.writeString(orchestratorKeyFile(), keyId + "="
                    + Base64.getEncoder().encodeToString(pair.getPrivate().getEncoded()) + "\n",
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The orchestrator keys agents trust (what FLEET_TRUST_ORCHESTRATOR_KEYS would list). */
    public static Optional<PublicKey> orchestratorKey(String keyId) {
        return Optional.ofNullable(ORCHESTRATOR_KEYS.get(keyId)).map(KeyPair::getPublic);
    }

    // ---- enrolment ------------------------------------------------------------------------------------------------

    private static String enrolmentToken;

    /** One enrolment token of many uses for the simulated agents of the whole suite, made by the admin. */
    public static synchronized String enrolmentToken() {
        if (enrolmentToken == null) {
            enrolmentToken = createToken(Map.of("expiresIn", "P1D", "maxUses", 100_000));
        }
        return enrolmentToken;
    }

    /** A new token made through the API as the admin; returns its text ({@code <id>.<secret>}). */
    public static String createToken(Map<String, Object> request) {
        return RestAssured.given()
                .auth().preemptive().basic("admin", FleetInfraResource.ADMIN_PASSWORD)
                .contentType(ContentType.JSON).body(request)
                .post("/api/v1/enrolment-tokens").then().statusCode(201).extract().jsonPath().getString("token");
    }

    public static ReleasePublished publishRelease(String version) {
        ReleasePublished release = signedRelease(version, BUILD_KEY.getPrivate(), BUILD_KEY_ID);
        TestBus.publish("/build-worker/test", release);
        return release;
    }

    /** A release of {@code version} whose manifest {@code key} signed as {@code keyId}. */
    public static ReleasePublished signedRelease(String version, PrivateKey key, String keyId) {
        String sha = UUID.randomUUID().toString().replace("-", "") + UUID.randomUUID().toString().replace("-", "");
        NixosMetadata nixos = new NixosMetadata("25.05", "nixos", systemPath(version), 1, "2505.7.0", 4096, 10);
        var signed = SignedManifest.sign(new ReleaseManifest(
                "rel-" + version, version, sha, 1024, nixos, Instant.now(), keyId), key);
        return new ReleasePublished("rel-" + version, unique("b"), version, sha, 1024,
                ARTIFACT_BASE + sha + "/nixos.wsl", signed.manifestJson(), signed.signature(), signed.keyId(), nixos);
    }
}
