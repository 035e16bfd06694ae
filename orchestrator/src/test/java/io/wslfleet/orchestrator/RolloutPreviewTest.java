package io.wslfleet.orchestrator;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;
import io.wslfleet.orchestrator.support.Fixtures;
import io.wslfleet.orchestrator.support.FleetInfraResource;
import io.wslfleet.orchestrator.support.SimulatedFleet;
import io.wslfleet.protocol.events.ReleasePublished;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** {@code POST /api/v1/rollouts/preview}: what the new-rollout form shows while it is filled in. */
@QuarkusTest
@QuarkusTestResource(FleetInfraResource.class)
class RolloutPreviewTest {
    private static final String GROUP = Fixtures.unique("preview");
    private static SimulatedFleet fleet;
    private static ReleasePublished release;

    /** Once for the class, but in a test's context: HTTP to the application is set up for tests, not before them. */
    @BeforeEach
    void machines() {
        if (fleet != null) {
            return;
        }
        fleet = new SimulatedFleet();
        release = Fixtures.publishRelease(Fixtures.unique("25.05-preview"));
        for (int i = 1; i <= 3; i++) {
            fleet.add(GROUP + "-00" + i + "/dev", SimulatedFleet.Behaviour.HEALTHY, null, Map.of("group", GROUP));
        }
        fleet.add(GROUP + "-009/dev", SimulatedFleet.Behaviour.HEALTHY, null, Map.of("group", GROUP), null); // pending
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> operator().queryParam("label", "group=" + GROUP)
                .get("/api/v1/machines").then().body("total", equalTo(4)));
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (fleet != null) {
            fleet.close();
        }
    }

    private static RequestSpecification operator() {
        return given().auth().preemptive().basic("operator", FleetInfraResource.OPERATOR_PASSWORD);
    }

    private static JsonPath preview(Map<String, Object> body) {
        return operator().contentType(ContentType.JSON).body(body).post("/api/v1/rollouts/preview")
                .then().statusCode(200).extract().jsonPath();
    }

    private static Map<String, Object> byGroup() {
        Map<String, Object> body = new HashMap<>();
        body.put("target", Map.of("labels", Map.of("group", GROUP)));
        body.put("canary", Map.of("count", 1));
        body.put("waves", List.of(Map.of("percent", 50), Map.of("percent", 100, "soakSeconds", 30)));
        return body;
    }

    private static long rollouts() {
        return operator().get("/api/v1/rollouts?size=1").then().extract().jsonPath().getLong("total");
    }

    @Test
    void aPreviewCountsTheAdmittedMachinesItsTargetMatchesAndSizesEachWave() {
        long before = rollouts();
        JsonPath p = preview(byGroup());
        assertThat(p.getLong("matched")).as("the pending machine is not targeted").isEqualTo(3);
        assertThat(p.getList("waves.machines", Integer.class)).containsExactly(1, 2, 0);
        assertThat(p.getList("waves.percent", Integer.class)).containsExactly(null, 50, 100);
        assertThat(p.getList("waves.soakSeconds", Long.class)).containsExactly(0L, 0L, 30L);
        // not yet named nor given a release: a create would be refused for that, and the preview says so
        assertThat(p.getList("errors.field", String.class)).containsExactly("name", "releaseId");
        assertThat(rollouts()).as("a preview creates nothing").isEqualTo(before);

        Map<String, Object> byWsl = byGroup();
        byWsl.put("target", Map.of("labels", Map.of("group", GROUP), "wslVersions", List.of("2.4.11.0")));
        assertThat(preview(byWsl).getLong("matched")).isEqualTo(3);
        byWsl.put("target", Map.of("labels", Map.of("group", GROUP), "wslVersions", List.of("2.5.7.0")));
        assertThat(preview(byWsl).getLong("matched")).isZero();
    }

    @Test
    void aCompleteRequestPreviewsWithoutErrorsAndShowsTheWindowsNextOpeningsInItsZone() {
        Map<String, Object> body = byGroup();
        body.put("name", "preview");
        body.put("releaseId", release.releaseId());
        body.put("maintenanceWindow", Map.of("cron", "0 22 * * 1-5", "durationMinutes", 120, "timeZone", "Europe/Berlin"));
        JsonPath p = preview(body);
        assertThat(p.getList("errors")).isEmpty();
        List<String> local = p.getList("windowOpenings.local", String.class);
        assertThat(local).hasSize(5).allSatisfy(l -> assertThat(l).matches("(Mon|Tue|Wed|Thu|Fri) .*, 22:00 CES?T"));
        Instant opens = Instant.parse(p.getString("windowOpenings[0].opensAt"));
        assertThat(Instant.parse(p.getString("windowOpenings[0].closesAt"))).isEqualTo(opens.plusSeconds(7200));
        assertThat(opens).isAfter(Instant.now());
    }

    @Test
    void invalidWavesAreFieldErrorsAndNoSizes() {
        Map<String, Object> body = byGroup();
        body.put("canary", Map.of("count", 0));
        body.put("waves", List.of(Map.of("percent", 60), Map.of("percent", 30)));
        JsonPath p = preview(body);
        assertThat(p.getList("errors.field", String.class)).contains("canary.count", "waves[1].percent");
        assertThat(p.getString("errors.find { it.field == 'waves[1].percent' }.message"))
                .contains("the last wave takes every target left (40% here)");
        assertThat(p.getList("waves")).isEmpty();
        assertThat(p.getLong("matched")).isEqualTo(3);

        body.put("maintenanceWindow", Map.of("cron", "0 0 30 2 *", "durationMinutes", 60, "timeZone", "UTC"));
        operator().contentType(ContentType.JSON).body(body).post("/api/v1/rollouts/preview").then().statusCode(400)
                .body("errors[0].field", equalTo("maintenanceWindow"));
    }

    @Test
    void aViewerMayNotPreview() {
        given().auth().preemptive().basic("viewer", FleetInfraResource.VIEWER_PASSWORD).contentType(ContentType.JSON)
                .body(byGroup()).post("/api/v1/rollouts/preview").then().statusCode(403);
    }
}
