package io.wslfleet.orchestrator;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.wslfleet.orchestrator.support.FleetInfraResource;
import io.wslfleet.orchestrator.support.Fixtures;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Map;

/** Authentication on everything but health; viewer reads, operator changes; the audit log names the user. */
@QuarkusTest
@QuarkusTestResource(FleetInfraResource.class)
class SecurityTest {

    @BeforeEach
    void noDefaultCredentials() {
        RestAssured.authentication = RestAssured.DEFAULT_AUTH;
    }

    @Test
    void healthIsOpenEverythingElseNeedsCredentials() {
        given().get("/q/health").then().statusCode(200);
        given().get("/api/v1/machines").then().statusCode(401)
                .header("WWW-Authenticate", org.hamcrest.Matchers.containsStringIgnoringCase("basic"))
                .contentType("application/problem+json").body("status", equalTo(401))
                .body("title", equalTo("Unauthorized"));
        given().get("/api/v1/rollouts").then().statusCode(401);
        given().get("/q/openapi").then().statusCode(401);
        given().auth().preemptive().basic("admin", "wrong").get("/api/v1/machines").then().statusCode(401)
                .contentType("application/problem+json").body("status", equalTo(401));
        given().auth().preemptive().basic("nobody", "test-admin").get("/api/v1/machines").then().statusCode(401);
    }

    @Test
    void aViewerReadsButMayNotChangeAnything() {
        given().auth().preemptive().basic("viewer", FleetInfraResource.VIEWER_PASSWORD)
                .get("/api/v1/machines").then().statusCode(200);
        given().auth().preemptive().basic("viewer", FleetInfraResource.VIEWER_PASSWORD)
                .contentType(ContentType.JSON).body(Map.of("name", "x", "releaseId", "rel-x", "target", Map.of()))
                .post("/api/v1/rollouts").then().statusCode(403);
        given().auth().preemptive().basic("viewer", FleetInfraResource.VIEWER_PASSWORD)
                .header("X-Fleet-Request", "1").post("/api/v1/rollouts/1/pause").then().statusCode(403);
    }

    @Test
    void anOperatorsChangeIsAuditedUnderTheirName() {
        var release = Fixtures.publishRelease(Fixtures.unique("25.11"));
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).untilAsserted(() ->
                given().auth().preemptive().basic("admin", FleetInfraResource.ADMIN_PASSWORD)
                        .get("/api/v1/releases/" + release.releaseId()).then().statusCode(200));
        long id = given().auth().preemptive().basic("operator", FleetInfraResource.OPERATOR_PASSWORD)
                .contentType(ContentType.JSON)
                .body(Map.of("name", "audited", "releaseId", release.releaseId(),
                        "target", Map.of("all", true)))
                .post("/api/v1/rollouts").then().statusCode(201)
                .body("createdBy", equalTo("operator")).extract().jsonPath().getLong("id");
        given().auth().preemptive().basic("viewer", FleetInfraResource.VIEWER_PASSWORD)
                .get("/api/v1/rollouts/" + id + "/timeline").then().statusCode(200)
                .body("actor", hasItem("operator"));
    }
}
