package io.wslfleet.orchestrator;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import io.wslfleet.orchestrator.support.Fixtures;
import io.wslfleet.orchestrator.support.FleetInfraResource;
import io.wslfleet.orchestrator.support.TestBus;
import io.wslfleet.protocol.events.BuildProgress;
import io.wslfleet.protocol.events.ReleasePublished;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

/** {@code POST /api/v1/builds} by an upstream version, refused fields, and every build listed however requested. */
@QuarkusTest
@QuarkusTestResource(FleetInfraResource.class)
class BuildRequestTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    private static RequestSpecification operator() {
        return given().auth().preemptive().basic("operator", FleetInfraResource.OPERATOR_PASSWORD);
    }

    private static String request(Map<String, Object> body) {
        return operator().contentType(ContentType.JSON).body(body).post("/api/v1/builds").then().statusCode(202)
                .extract().jsonPath().getString("id");
    }

    private static void refused(Map<String, Object> body, String field) {
        operator().contentType(ContentType.JSON).body(body).post("/api/v1/builds").then().statusCode(400)
                .body("errors[0].field", equalTo(field));
    }

    private static void publish(String buildId, String version) {
        ReleasePublished signed = Fixtures.signedRelease(version, Fixtures.buildPrivateKey(), Fixtures.BUILD_KEY_ID);
        TestBus.publish("/build-worker/test", new ReleasePublished(signed.releaseId(), buildId, signed.version(),
                signed.sha256(), signed.size(), signed.downloadUrl(), signed.manifest(), signed.signature(),
                signed.keyId(), signed.nixos()));
    }

    @Test
    void anUpstreamReleaseIsNamedByItsVersionAndAPublishedBuildHasNoStepLeft() {
        String version = Fixtures.unique("2505.7.0-up");
        String id = request(Map.of("version", version, "upstreamVersion", "2505.7.0"));
        operator().get("/api/v1/builds/" + id).then().body("sourceKind", equalTo("UPSTREAM")).body("sourceLocation",
                equalTo("https://github.com/nix-community/NixOS-WSL/releases/download/2505.7.0/nixos.wsl"));
        String old = request(Map.of("version", Fixtures.unique("2311.5.3-up"), "upstreamVersion", "2311.5.3"));
        operator().get("/api/v1/builds/" + old).then().body("sourceLocation",
                equalTo("https://github.com/nix-community/NixOS-WSL/releases/download/2311.5.3/nixos-wsl.tar.gz"));

        TestBus.publish("/build-worker/test", new BuildProgress(id, "STORING", 700, 1000));
        await().atMost(WAIT).untilAsserted(() -> operator().get("/api/v1/builds/" + id).then()
                .body("state", equalTo("RUNNING")).body("step", equalTo("STORING")));
        publish(id, version);
        await().atMost(WAIT).untilAsserted(() -> operator().get("/api/v1/builds/" + id).then()
                .body("state", equalTo("PUBLISHED")).body("step", nullValue()).body("bytesDone", equalTo(1000)));
    }

    @Test
    void aRequestAWorkerWouldRefuseIsRefusedOnItsField() {
        long before = operator().get("/api/v1/builds?size=1").then().extract().jsonPath().getLong("total");
        Map<String, Object> upstream = Map.of("kind", "UPSTREAM", "location", "https://example.invalid/nixos.wsl");
        refused(Map.of("version", "x1", "upstreamVersion", "2505.7.0", "source", upstream), "source");
        refused(Map.of("version", "x1"), "source");
        refused(Map.of("version", "x1", "upstreamVersion", "latest"), "upstreamVersion");
        refused(Map.of("version", "x1", "source", Map.of("kind", "FLAKE", "location", "github:acme/wsl")),
                "source.flakeHost");
        refused(Map.of("version", "x1", "source", upstream, "customization", Map.of("wslConf", Map.of("systemd", "true"))),
                "customization.wslConf");
        refused(Map.of("version", "x1", "source", upstream, "customization", Map.of("files", Map.of("etc/motd", "hi"))),
                "customization.files");
        assertThat(operator().get("/api/v1/builds?size=1").then().extract().jsonPath().getLong("total"))
                .as("nothing requested").isEqualTo(before);
    }

    @Test
    void aBuildRequestedElsewhereIsListedFromItsWorkersFirstEvent() {
        String id = Fixtures.unique("b-bus");
        String version = Fixtures.unique("25.11-bus");
        TestBus.publish("/build-worker/test", new BuildProgress(id, "DOWNLOADING", 10, 100));
        await().atMost(WAIT).untilAsserted(() -> operator().get("/api/v1/builds/" + id).then()
                .body("state", equalTo("RUNNING")).body("step", equalTo("DOWNLOADING"))
                .body("version", nullValue()).body("requestedBy", nullValue()));
        publish(id, version);
        await().atMost(WAIT).untilAsserted(() -> operator().get("/api/v1/builds/" + id).then()
                .body("state", equalTo("PUBLISHED")).body("version", equalTo(version))
                .body("releaseId", equalTo("rel-" + version)));
    }
}
