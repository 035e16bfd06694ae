package io.wslfleet.orchestrator;

import static io.restassured.RestAssured.given;
import static io.wslfleet.orchestrator.support.Fixtures.publishRelease;
import static io.wslfleet.orchestrator.support.Fixtures.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import io.wslfleet.orchestrator.support.FleetInfraResource;
import io.wslfleet.orchestrator.support.SimulatedFleet;
import io.wslfleet.protocol.events.ReleasePublished;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** The server-rendered dashboard: pages, role-dependent actions, and the live-update stream. */
@QuarkusTest
@QuarkusTestResource(FleetInfraResource.class)
class DashboardTest {

    @TestHTTPResource("/ui/events")
    URL events;

    private static SimulatedFleet fleet;

    @BeforeAll
    static void startFleet() {
        fleet = new SimulatedFleet();
    }

    @AfterAll
    static void stopFleet() throws InterruptedException {
        fleet.close();
    }

    @BeforeEach
    void noDefaultCredentials() {
        RestAssured.authentication = RestAssured.DEFAULT_AUTH;
    }

    private static RequestSpecification as(String user, String password) {
        return given().auth().preemptive().basic(user, password);
    }

    private static RequestSpecification operator() {
        return as("operator", FleetInfraResource.OPERATOR_PASSWORD);
    }

    private static RequestSpecification viewer() {
        return as("viewer", FleetInfraResource.VIEWER_PASSWORD);
    }

    @Test
    void aRolledBackRolloutShowsItsFailedMachinesAndOnlyOperatorsSeeActions() {
        String group = unique("dash");
        ReleasePublished old = publishRelease(unique("24.11"));
        ReleasePublished release = publishRelease(unique("25.05-dash"));
        String a = group + "-001/dev";
        String b = group + "-002/dev";
        fleet.add(a, SimulatedFleet.Behaviour.DEGRADED_ON_ACTIVATION, old.nixos().systemPath(), Map.of("group", group));
        fleet.add(b, SimulatedFleet.Behaviour.HEALTHY, old.nixos().systemPath(), Map.of("group", group));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            viewer().queryParam("q", group).get("/api/v1/machines").then().body("total", equalTo(2));
            viewer().get("/api/v1/releases/" + release.releaseId()).then().statusCode(200);
        });
        long id = operator().contentType(ContentType.JSON).body(Map.of("name", group, "releaseId", release.releaseId(),
                        "target", Map.of("machineIds", List.of(a, b)), "canary", Map.of("count", 1), "start", true))
                .post("/api/v1/rollouts").then().statusCode(201).extract().jsonPath().getLong("id");
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                viewer().get("/api/v1/rollouts/" + id).then().body("state", equalTo("ROLLED_BACK")));

        String page = operator().get("/ui/rollouts/" + id).then().statusCode(200)
                .contentType(containsString("text/html")).extract().asString();
        assertThat(page).contains("ROLLED_BACK").contains(a).contains("home-manager-dev.service")
                .contains("Failed to start home-manager");
        viewer().get("/ui/rollouts/" + id).then().statusCode(200)
                .body(containsString("home-manager-dev.service")).body(not(containsString("<button")));

        long draft = operator().contentType(ContentType.JSON).body(Map.of("name", group + "-draft",
                        "releaseId", release.releaseId(), "target", Map.of("machineIds", List.of(b))))
                .post("/api/v1/rollouts").then().statusCode(201).extract().jsonPath().getLong("id");
        operator().get("/ui/rollouts/" + draft).then().statusCode(200).body(containsString(">Start</button>"));
        viewer().get("/ui/rollouts/" + draft).then().statusCode(200).body(not(containsString("<button")));

        viewer().get("/").then().statusCode(200).body(containsString("Fleet overview")).body(containsString(group + "-draft"));
        viewer().queryParam("q", group).get("/ui/machines").then().statusCode(200)
                .body(containsString(a)).body(containsString(b));
        viewer().get("/ui/machines/" + a).then().statusCode(200).body(containsString("Health reports"));
        viewer().get("/ui/releases").then().statusCode(200).body(containsString(release.releaseId()));
        given().get("/").then().statusCode(401);
        given().get("/webjars/htmx.org/2.0.10/dist/htmx.min.js").then().statusCode(401);
        viewer().get("/webjars/htmx.org/2.0.10/dist/htmx.min.js").then().statusCode(200);
    }

    @Test
    void theEventStreamAnnouncesAChange() throws Exception {
        HttpURLConnection connection = (HttpURLConnection) events.openConnection();
        connection.setRequestProperty("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                ("viewer:" + FleetInfraResource.VIEWER_PASSWORD).getBytes(StandardCharsets.UTF_8)));
        connection.setRequestProperty("Accept", "text/event-stream");
        connection.setReadTimeout(20_000);
        assertThat(connection.getResponseCode()).isEqualTo(200);
        assertThat(connection.getContentType()).startsWith("text/event-stream");
        CompletableFuture<String> firstData = CompletableFuture.supplyAsync(() -> {
            try (var reader = new BufferedReader(new InputStreamReader(connection.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    if (line.startsWith("data:") && line.contains("change")) {
                        return line;
                    }
                }
                return null;
            } catch (Exception e) {
                return "error: " + e;
            }
        });
        Thread.sleep(1500);
        fleet.add(unique("sse") + "-001/dev", SimulatedFleet.Behaviour.HEALTHY, "/nix/store/x", Map.of());
        assertThat(firstData.get(20, TimeUnit.SECONDS)).contains("change");
        connection.disconnect();
    }
}
