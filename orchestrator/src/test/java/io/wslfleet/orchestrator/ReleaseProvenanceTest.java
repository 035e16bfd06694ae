package io.wslfleet.orchestrator;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.wslfleet.orchestrator.support.FleetInfraResource;
import io.wslfleet.orchestrator.support.Fixtures;
import io.wslfleet.orchestrator.support.TestBus;
import io.wslfleet.protocol.CloudEventHeaders;
import io.wslfleet.protocol.Topics;
import io.wslfleet.protocol.CloudEvent;
import io.wslfleet.protocol.EventCodec;
import io.wslfleet.protocol.trust.RecordSignatures;
import io.wslfleet.protocol.trust.Signer;
import io.wslfleet.protocol.events.BuildFailed;
import io.wslfleet.protocol.events.BuildRequested;
import io.wslfleet.protocol.events.ReleasePublished;
import io.wslfleet.protocol.release.Ed25519;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

/**
 * The catalog takes a release only on the word of a trusted build key, for exactly what that key signed, from an
 * allowed artifact base; a release id never changes content; a published build cannot be failed by a report.
 */
@QuarkusTest
@QuarkusTestResource(FleetInfraResource.class)
class ReleaseProvenanceTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final KeyPair ATTACKER = Ed25519.generate();

    @BeforeEach
    void asAdmin() {
        RestAssured.authentication = RestAssured.preemptive().basic("admin", FleetInfraResource.ADMIN_PASSWORD);
    }

    private static void assertRefused(ReleasePublished forged, String reason) {
        await().atMost(WAIT).untilAsserted(() -> {
            List<ConsumerRecord<String, byte[]>> dead = TestBus.readAll(Topics.DEAD_LETTER,
                    r -> forged.releaseId().equals(r.key()) && new String(r.value(), StandardCharsets.UTF_8)
                            .contains(forged.sha256()), Duration.ofSeconds(1));
            assertThat(dead).hasSize(1);
            assertThat(new String(dead.get(0).headers().lastHeader(CloudEventHeaders.DLQ_REASON).value(),
                    StandardCharsets.UTF_8)).isEqualTo(reason);
        });
        long audited = io.quarkus.narayana.jta.QuarkusTransaction.requiringNew().call(() ->
                io.wslfleet.orchestrator.audit.AuditEntry.count("entity = 'release' and entityId = ?1 and action = "
                        + "'REFUSED' and after like ?2", forged.releaseId(), reason + ":%"));
        assertThat(audited).as("audit entries of the refusal").isGreaterThanOrEqualTo(1);
    }

    @Test
    void aReleaseSignedByAnUntrustedKeyIsRefusedAndAudited() {
        ReleasePublished forged = Fixtures.signedRelease(Fixtures.unique("26.3"), ATTACKER.getPrivate(), "attacker");
        TestBus.publish("urn:attacker", forged);

        assertRefused(forged, "UNTRUSTED_RELEASE");
        given().get("/api/v1/releases/" + forged.releaseId()).then().statusCode(404);
    }

    @Test
    void claimsThatAreNotTheSignedManifestsAreRefused() {
        ReleasePublished signed = Fixtures.signedRelease(Fixtures.unique("26.4"), Fixtures.buildPrivateKey(),
                Fixtures.BUILD_KEY_ID);
        ReleasePublished otherSha = new ReleasePublished(signed.releaseId(), signed.buildId(), signed.version(),
                "e".repeat(64), signed.size(), signed.downloadUrl(), signed.manifest(), signed.signature(),
                signed.keyId(), signed.nixos());
        TestBus.publish("urn:attacker", otherSha);
        assertRefused(otherSha, "UNTRUSTED_RELEASE");

        ReleasePublished foreignHost = Fixtures.signedRelease(Fixtures.unique("26.5"), Fixtures.buildPrivateKey(),
                Fixtures.BUILD_KEY_ID);
        ReleasePublished moved = new ReleasePublished(foreignHost.releaseId(), foreignHost.buildId(),
                foreignHost.version(), foreignHost.sha256(), foreignHost.size(),
                "http://evil.example/" + foreignHost.sha256(), foreignHost.manifest(), foreignHost.signature(),
                foreignHost.keyId(), foreignHost.nixos());
        TestBus.publish("urn:attacker", moved);
        assertRefused(moved, "UNTRUSTED_RELEASE");
        given().get("/api/v1/releases/" + signed.releaseId()).then().statusCode(404);
        given().get("/api/v1/releases/" + foreignHost.releaseId()).then().statusCode(404);
    }

    @Test
    void aCatalogedReleaseIdNeverChangesContent() {
        String version = Fixtures.unique("26.6");
        ReleasePublished real = Fixtures.publishRelease(version);
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/v1/releases/" + real.releaseId()).then()
                .statusCode(200));
        // the same again (a redelivery, a retried publish) changes nothing and is no refusal
        TestBus.publish("/build-worker/test", real);
        ReleasePublished other = Fixtures.signedRelease(version, Fixtures.buildPrivateKey(), Fixtures.BUILD_KEY_ID);
        TestBus.publish("/build-worker/test", other);

        assertRefused(other, "RELEASE_CONFLICT");
        given().get("/api/v1/releases/" + real.releaseId()).then().statusCode(200)
                .body("sha256", equalTo(real.sha256())).body("downloadUrl", equalTo(real.downloadUrl()));
    }

    @Test
    void aPublishedBuildIsNotFailedByAForgedReport() {
        String version = Fixtures.unique("26.7");
        String buildId = given().contentType(ContentType.JSON).body(Map.of("version", version,
                        "source", Map.of("kind", BuildRequested.SourceKind.UPSTREAM.name(),
                                "location", "https://example.invalid/nixos.wsl")))
                .post("/api/v1/builds").then().statusCode(202).extract().jsonPath().getString("id");
        ReleasePublished signed = Fixtures.signedRelease(version, Fixtures.buildPrivateKey(), Fixtures.BUILD_KEY_ID);
        TestBus.publish("/build-worker/test", new ReleasePublished(signed.releaseId(), buildId, signed.version(),
                signed.sha256(), signed.size(), signed.downloadUrl(), signed.manifest(), signed.signature(),
                signed.keyId(), signed.nixos()));
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/v1/builds/" + buildId).then()
                .body("state", equalTo("PUBLISHED")));

        // unsigned, and signed by a key the orchestrator does not trust: both refused, the build stays PUBLISHED
        TestBus.publishUnsigned("urn:attacker", new BuildFailed(buildId, "FORGED", "a forged failure"));
        TestBus.send(RecordSignatures.sign(EventCodec.toRecord(CloudEvent.of("urn:attacker",
                new BuildFailed(buildId, "FORGED", "a forged failure, signed"))), new Signer("attacker",
                ATTACKER.getPrivate())));
        await().atMost(WAIT).untilAsserted(() -> {
            List<ConsumerRecord<String, byte[]>> dead = TestBus.readAll(Topics.DEAD_LETTER,
                    r -> buildId.equals(r.key()), Duration.ofSeconds(1));
            assertThat(dead).hasSize(2).allSatisfy(r -> assertThat(new String(r.headers()
                    .lastHeader(CloudEventHeaders.DLQ_REASON).value(), StandardCharsets.UTF_8))
                    .isEqualTo("UNAUTHENTICATED"));
        });
        ReleasePublished marker = Fixtures.publishRelease(Fixtures.unique("26.8"));
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/v1/releases/" + marker.releaseId()).then()
                .statusCode(200));
        given().get("/api/v1/builds/" + buildId).then().body("state", equalTo("PUBLISHED"));
        given().get("/api/v1/builds?size=500").then().body("items.id", hasItem(buildId));
    }
}
