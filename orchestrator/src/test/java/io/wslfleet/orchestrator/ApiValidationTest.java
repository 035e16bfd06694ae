package io.wslfleet.orchestrator;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import io.wslfleet.orchestrator.support.FleetInfraResource;
import io.wslfleet.orchestrator.support.Fixtures;
import io.wslfleet.protocol.events.ReleasePublished;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

/**
 * Every refusal of the rollout API is problem details naming the field and what it allows, and creates nothing.
 */
@QuarkusTest
@QuarkusTestResource(FleetInfraResource.class)
class ApiValidationTest {
    private static ReleasePublished release;

    @BeforeAll
    static void aRelease() {
        release = Fixtures.publishRelease(Fixtures.unique("25.12"));
    }

    @BeforeEach
    void asOperator() {
        RestAssured.authentication = RestAssured.preemptive().basic("operator", FleetInfraResource.OPERATOR_PASSWORD);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                given().get("/api/v1/releases/" + release.releaseId()).then().statusCode(200));
    }

    private Map<String, Object> valid() {
        Map<String, Object> body = new HashMap<>();
        body.put("name", "validation");
        body.put("releaseId", release.releaseId());
        body.put("target", Map.of("all", true));
        return body;
    }

    private static long rollouts() {
        return given().get("/api/v1/rollouts?size=1").then().statusCode(200).extract().jsonPath().getLong("total");
    }

    /** Posts {@code body}, expects a 400 problem with an error on {@code field}, and that nothing was created. */
    private static ValidatableResponse refused(Object body, String field, String message) {
        long before = rollouts();
        ValidatableResponse response = given().contentType(ContentType.JSON).body(body).post("/api/v1/rollouts")
                .then().statusCode(400).contentType("application/problem+json")
                .body("status", equalTo(400)).body("title", equalTo("Invalid request"))
                .body("errors.field", hasItem(field))
                .body("errors.findAll { it.field == '" + field + "' }.message", hasItem(containsString(message)));
        assertThat(rollouts()).as("rollouts after a refused request").isEqualTo(before);
        return response;
    }

    @Test
    void aValidRequestIsCreated() {
        long before = rollouts();
        given().contentType(ContentType.JSON).body(valid()).post("/api/v1/rollouts").then().statusCode(201);
        assertThat(rollouts()).isEqualTo(before + 1);
    }

    @Test
    void aMaintenanceWindowThatNeverOpensIsRefused() {
        Map<String, Object> body = valid();
        body.put("maintenanceWindow", Map.of("cron", "0 0 30 2 *", "durationMinutes", 60, "timeZone", "UTC"));
        refused(body, "maintenanceWindow", "never fires");
    }

    @Test
    void anInvalidCronOrTimeZoneIsRefusedWithTheReason() {
        Map<String, Object> body = valid();
        body.put("maintenanceWindow", Map.of("cron", "61 * * * *", "durationMinutes", 60, "timeZone", "UTC"));
        refused(body, "maintenanceWindow", "out of range");
        body.put("maintenanceWindow", Map.of("cron", "a b c d e", "durationMinutes", 60, "timeZone", "UTC"));
        refused(body, "maintenanceWindow", "not a number, range, list or step");
        body.put("maintenanceWindow", Map.of("cron", "0 22 * * *", "durationMinutes", 60, "timeZone", "Mars/Olympus"));
        refused(body, "maintenanceWindow", "unknown time zone 'Mars/Olympus'");
    }

    @Test
    void wavesThatCannotAllBeHonouredAreRefused() {
        Map<String, Object> body = valid();
        body.put("waves", List.of(Map.of("percent", 60), Map.of("percent", 60)));
        refused(body, "waves[1].percent", "the last wave takes every target left (40% here)");
        body.put("waves", List.of(Map.of("percent", 80), Map.of("percent", 30), Map.of("percent", 100)));
        refused(body, "waves", "110%");
        body.put("waves", List.of(Map.of("percent", 50, "count", 3)));
        refused(body, "waves[0]", "exactly one of count");
    }

    @Test
    void aTargetMustSayWhatItMeans() {
        Map<String, Object> body = valid();
        body.put("target", Map.of());
        refused(body, "target", "all: true");
        body.put("target", Map.of("all", true, "rings", List.of("canary")));
        refused(body, "target.all", "give it alone");
    }

    @Test
    void unknownAndMalformedMachinesAreReported() {
        Map<String, Object> body = valid();
        body.put("target", Map.of("machineIds", List.of("nobody-here/dev", "FUZZ-33/A/B")));
        refused(body, "target.machineIds", "1 unknown or not admitted machines: nobody-here/dev");
        refused(body, "target.machineIds", "not agent ids");
        body.put("target", Map.of("machineIds", IntStream.range(0, 100_000).mapToObj(i -> "m" + i + "/u").toList()));
        refused(body, "target.machineIds", "at most 10000");
    }

    @Test
    void aHugeNameIsRefused() {
        Map<String, Object> body = valid();
        body.put("name", "n".repeat(100_000));
        refused(body, "name", "at most 200");
    }

    @Test
    void wrongJsonTypesNameTheFieldAndTheAllowedValues() {
        Map<String, Object> body = valid();
        body.put("mode", "YOLO");
        refused(body, "mode", "is not one of IN_PLACE, REIMPORT");
        body.remove("mode");
        body.put("waves", List.of(Map.of("percent", "fifty")));
        refused(body, "waves[0].percent", "is not a whole number");
        body.remove("waves");
        body.put("target", Map.of("labels", List.of("team=x")));
        refused(body, "target.labels", "an object");
    }

    @Test
    void badQueryParametersAre400NotFound() {
        given().get("/api/v1/rollouts?size=abc").then().statusCode(400).contentType("application/problem+json")
                .body("detail", containsString("query parameter"));
        given().get("/api/v1/machines?size=0").then().statusCode(400).contentType("application/problem+json");
    }

    @Test
    void forbiddenIsProblemDetailsAndUnauthenticatedKeepsItsChallenge() {
        RestAssured.authentication = RestAssured.DEFAULT_AUTH;
        given().get("/api/v1/rollouts").then().statusCode(401).header("WWW-Authenticate", org.hamcrest.Matchers.containsStringIgnoringCase("basic"));
        given().auth().preemptive().basic("viewer", FleetInfraResource.VIEWER_PASSWORD)
                .contentType(ContentType.JSON).body(valid()).post("/api/v1/rollouts")
                .then().statusCode(403).contentType("application/problem+json").body("status", equalTo(403));
    }
}
