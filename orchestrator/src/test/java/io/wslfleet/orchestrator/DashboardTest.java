package io.wslfleet.orchestrator;

import static io.restassured.RestAssured.given;
import static io.wslfleet.orchestrator.support.Fixtures.publishRelease;
import static io.wslfleet.orchestrator.support.Fixtures.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import io.wslfleet.orchestrator.audit.AuditEntry;
import io.wslfleet.orchestrator.support.FleetInfraResource;
import io.wslfleet.orchestrator.support.SimulatedFleet;
import io.wslfleet.protocol.events.AgentHeartbeat;
import io.wslfleet.protocol.events.Health;
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
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

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
    void pagesReadAsWordsTablesAndChipsNotRawData() {
        String group = unique("aread"); // early in id order: on the overview's first page of machines to look at
        ReleasePublished old = publishRelease(unique("24.11-read"));
        ReleasePublished release = publishRelease(unique("25.05-read"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                viewer().get("/api/v1/releases/" + old.releaseId()).then().statusCode(200));
        String a = group + "-001/dev";
        String b = group + "-002/dev";
        String ring = group + "-ring";
        fleet.add(a, SimulatedFleet.Behaviour.HEALTHY, old.nixos().systemPath(),
                Map.of("group", group, "ring", ring, "site", "sandbox"));
        SimulatedFleet.Agent degraded = fleet.add(b, SimulatedFleet.Behaviour.HEALTHY, old.nixos().systemPath(),
                Map.of("group", group));
        // as much as the protocol lets an agent say: 1,000 failed units of 256 characters (the registry keeps 20)
        List<String> units = IntStream.range(0, 1000)
                .mapToObj(i -> String.format("%04d-", i) + "x".repeat(243) + ".service").toList();
        fleet.emit(degraded, new AgentHeartbeat(b, degraded.next(), new Health("NixOS", "degraded", units, 1,
                old.nixos().systemPath(), Instant.now())));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            viewer().queryParam("q", group).get("/api/v1/machines").then().body("total", equalTo(2));
            viewer().get("/api/v1/machines/" + b).then().body("failedUnits[0]", equalTo(units.get(0)))
                    .body("failedUnits.size()", equalTo(21)).body("failedUnits[20]", equalTo("(+980 more)"));
            viewer().get("/api/v1/releases/" + release.releaseId()).then().statusCode(200);
        });

        // the machine list filters by ring, label, release and WSL version
        assertThat(machineList(Map.of("q", group, "ring", ring))).contains(a).doesNotContain(b);
        assertThat(machineList(Map.of("q", group, "label", "site=sandbox"))).contains(a).doesNotContain(b);
        assertThat(machineList(Map.of("label", "group=" + group))).contains(a).contains(b);
        assertThat(machineList(Map.of("q", group, "release", old.releaseId()))).contains(a).contains(b);
        assertThat(machineList(Map.of("q", group, "release", release.releaseId()))).doesNotContain(a);
        assertThat(machineList(Map.of("q", group, "wslVersion", "2.4.11.0"))).contains(a).contains(b);
        assertThat(machineList(Map.of("q", group, "wslVersion", "1.0.0"))).doesNotContain(a).contains("No machine matches");
        assertThat(machineList(Map.of("q", group))).contains("<option>" + ring + "</option>")
                .contains("<span class=\"chip\">ring=" + ring + "</span>");

        // the machine page: generations as a table, labels as chips, failed units bounded
        String machinePage = viewer().get("/ui/machines/" + a).then().statusCode(200).extract().asString();
        assertThat(machinePage).contains("id=\"generations\"").contains("<span class=\"chip\">site=sandbox</span>")
                .doesNotContain("{group=").doesNotContain("\"distros\"");
        assertThat(between(machinePage, "id=\"generations\"", "</table>")).contains(old.nixos().systemPath())
                .contains(old.releaseId()).contains("current");
        String degradedPage = viewer().get("/ui/machines/" + b).then().statusCode(200).extract().asString();
        assertThat(degradedPage).contains("<details class=\"cut\"><summary>0000-xxx").contains("0019-xxx")
                .doesNotContain("0020-xxx");
        String overview = viewer().get("/").then().statusCode(200).extract().asString();
        assertThat(overview.length()).as("the overview carries a few units of a machine").isLessThan(100_000);
        assertThat(between(overview, "id=\"attention\"", "</table>")).contains(b)
                .contains("<details class=\"cut\"><summary>0000-xxx").contains("0004-xxx").doesNotContain("0005-xxx")
                .contains("and 16 more");

        // an approval rollout as a draft: no "wave -1", the plan in words, one timeline entry per approval
        long draft = operator().contentType(ContentType.JSON).body(Map.of("name", group + "-approve",
                        "releaseId", release.releaseId(), "target", Map.of("machineIds", List.of(b)),
                        "waves", List.of(Map.of("percent", 50), Map.of("percent", 100)), "soakSeconds", 300,
                        "approvalRequired", true))
                .post("/api/v1/rollouts").then().statusCode(201).extract().jsonPath().getLong("id");
        String draftPage = viewer().get("/ui/rollouts/" + draft).then().statusCode(200).extract().asString();
        assertThat(draftPage).contains("no wave approved yet").doesNotContain("wave -1")
                .contains("A canary of 1 machine, then 50% of the targets, then the rest. Each wave needs 100% "
                        + "successes, halts above 0% errors and soaks 5 min before the next.");
        assertThat(between(draftPage, "id=\"timeline\"", "</table>")).contains("CREATED").contains("plan: A canary")
                .doesNotContain("{").doesNotContain("&quot;");
        operator().header("X-Fleet-Request", "1").post("/api/v1/rollouts/" + draft + "/approve").then().statusCode(200);
        String approved = viewer().get("/ui/rollouts/" + draft).then().statusCode(200).extract().asString();
        assertThat(approved).contains("approved up to canary");
        assertThat(between(approved, "id=\"timeline\"", "</table>").split("APPROVED", -1)).as("one entry per approval")
                .hasSize(2);
        assertThat(between(approved, "id=\"timeline\"", "</table>")).contains("canary");

        // a rollout whose targets fit in one wave has no canary; times are <time> elements, no microseconds
        long single = operator().contentType(ContentType.JSON).body(Map.of("name", group + "-single",
                        "releaseId", release.releaseId(), "target", Map.of("machineIds", List.of(a)), "start", true))
                .post("/api/v1/rollouts").then().statusCode(201).extract().jsonPath().getLong("id");
        viewer().get("/api/v1/rollouts/" + single).then().body("waves.size()", equalTo(1))
                .body("waves[0].name", equalTo("wave-1"));
        String singlePage = viewer().get("/ui/rollouts/" + single).then().statusCode(200).extract().asString();
        assertThat(between(singlePage, "id=\"waves\"", "</table>")).contains("wave-1").doesNotContain("canary");
        assertThat(singlePage).containsPattern("<time datetime=\"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\" "
                + "title=\"\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\">").doesNotContainPattern("\\d\\d:\\d\\d\\.\\d{3}");

        // releases show their size, sha256 and signer
        String releases = viewer().get("/ui/releases").then().statusCode(200).extract().asString();
        String row = between(releases, "<td>" + release.releaseId() + "</td>", "</tr>");
        assertThat(row).contains(release.sha256().substring(0, 12)).contains(release.sha256())
                .contains(release.keyId()).containsPattern("\\d(\\.\\d)? (B|KiB|MiB|GiB)");
    }

    @Test
    void aBrowserGetsAnErrorPageAndTheApiProblemDetails() {
        viewer().accept(BROWSER_ACCEPT).get("/ui/rollouts/987654321").then().statusCode(404)
                .contentType(containsString("text/html")).body(containsString("Not found"))
                .body(containsString("rollout 987654321"));
        viewer().accept(BROWSER_ACCEPT).get("/ui/no-such-page").then().statusCode(404)
                .contentType(containsString("text/html"));
        viewer().accept(BROWSER_ACCEPT).header("X-Fleet-Request", "1").post("/ui/machines").then().statusCode(403)
                .contentType(containsString("text/html")).body(containsString("Forbidden"));
        viewer().get("/ui/rollouts/987654321").then().statusCode(404) // a client that does not ask for HTML
                .contentType("application/problem+json").body("status", equalTo(404));
        viewer().accept(BROWSER_ACCEPT).get("/api/v1/rollouts/987654321").then().statusCode(404)
                .contentType("application/problem+json").body("status", equalTo(404));
        viewer().accept(BROWSER_ACCEPT).header("X-Fleet-Request", "1").post("/api/v1/rollouts/1/pause").then()
                .statusCode(403).contentType("application/problem+json");
    }

    @Test
    void aFailureOfOursIsAnErrorPageForABrowserAndProblemDetailsForTheApi() {
        var release = publishRelease(unique("26.1-broken"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                viewer().get("/api/v1/releases/" + release.releaseId()).then().statusCode(200));
        long id = operator().contentType(ContentType.JSON).body(Map.of("name", "broken plan",
                        "releaseId", release.releaseId(), "target", Map.of("all", true)))
                .post("/api/v1/rollouts").then().statusCode(201).extract().jsonPath().getLong("id");
        String plan = QuarkusTransaction.requiringNew().call(() -> (String) AuditEntry.getEntityManager()
                .createNativeQuery("select plan::text from rollout where id = ?1").setParameter(1, id)
                .getSingleResult());
        setPlan(id, "{\"waves\":[]}"); // JSON, but no plan: a rollout needs a wave
        try {
            viewer().accept(BROWSER_ACCEPT).get("/ui/rollouts/" + id).then().statusCode(500)
                    .contentType(containsString("text/html")).body(containsString("Internal error"))
                    .body(containsString("in its log"));
            viewer().get("/api/v1/rollouts/" + id).then().statusCode(500).contentType("application/problem+json")
                    .body("detail", containsString("in its log")).body(not(containsString("Exception")));
        } finally {
            setPlan(id, plan); // the overview shows the latest rollouts: leave none broken
        }
    }

    private static void setPlan(long rollout, String plan) {
        QuarkusTransaction.requiringNew().run(() -> AuditEntry.getEntityManager()
                .createNativeQuery("update rollout set plan = cast(?1 as jsonb) where id = ?2").setParameter(1, plan)
                .setParameter(2, rollout).executeUpdate());
    }

    @Test
    void theOpenApiDocumentDescribesTheApiHealthAndMetricsOnly() {
        var document = viewer().queryParam("format", "json").get("/q/openapi").then().statusCode(200)
                .extract().jsonPath();
        Map<String, Object> paths = document.getMap("paths");
        assertThat(paths.keySet()).isNotEmpty().allMatch(p -> p.startsWith("/api/v1/") || p.startsWith("/q/health")
                || p.equals("/q/metrics"), "under /api/v1, /q/health or /q/metrics");
        assertThat(paths).containsKeys("/api/v1/rollouts", "/q/health", "/q/metrics");
        Map<String, Object> schemas = document.getMap("components.schemas");
        assertThat(schemas.keySet()).noneMatch(s -> s.contains("EngineImpl") || s.contains("TemplateInstance"));
    }

    private static final String BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

    private static String machineList(Map<String, String> filters) {
        return viewer().queryParams(filters).get("/ui/machines").then().statusCode(200).extract().asString();
    }

    /** The part of {@code page} from {@code start} to the next {@code end}. */
    private static String between(String page, String start, String end) {
        int from = page.indexOf(start);
        assertThat(from).as(start + " is on the page").isNotNegative();
        int to = page.indexOf(end, from + start.length());
        return page.substring(from, to < 0 ? page.length() : to);
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
