package io.wslfleet.orchestrator;

import static io.restassured.RestAssured.given;
import static io.wslfleet.orchestrator.support.Fixtures.publishRelease;
import static io.wslfleet.orchestrator.support.Fixtures.unique;
import static io.wslfleet.orchestrator.support.Chromium.click;
import static io.wslfleet.orchestrator.support.Chromium.screenshot;
import static io.wslfleet.orchestrator.support.Chromium.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import io.wslfleet.orchestrator.support.Chromium;
import io.wslfleet.orchestrator.support.FleetInfraResource;
import io.wslfleet.orchestrator.support.Fixtures;
import io.wslfleet.orchestrator.support.SimulatedFleet;
import io.wslfleet.protocol.events.ReleasePublished;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The dashboard in a real headless Chromium (Debian's chromium and chromedriver): a rollout advancing without a
 * reload, pause and resume, a failed machine's units, and a viewer without action buttons. Screenshots go to
 * {@code target/screenshots/}.
 */
@QuarkusTest
@QuarkusTestResource(FleetInfraResource.class)
class BrowserTest extends BrowserTestBase {

    private static RequestSpecification operatorApi() {
        return given().auth().preemptive().basic("operator", FleetInfraResource.OPERATOR_PASSWORD);
    }

    @SuppressWarnings("unchecked")
    private static List<String> currentWaves(WebDriver driver) {
        return (List<String>) ((JavascriptExecutor) driver).executeScript(
                "return Array.from(document.querySelectorAll('#waves tr.current td:first-child')).map(e => e.textContent.trim());");
    }

    private long rollout(String group, ReleasePublished release, List<String> machines, List<Map<String, Object>> waves) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            operatorApi().queryParam("q", group).get("/api/v1/machines").then().body("total", equalTo(machines.size()));
            operatorApi().get("/api/v1/releases/" + release.releaseId()).then().statusCode(200);
        });
        return operatorApi().contentType(ContentType.JSON).body(Map.of("name", group, "releaseId", release.releaseId(),
                        "target", Map.of("machineIds", machines), "canary", Map.of("count", 1), "waves", waves,
                        "soakSeconds", 6, "start", false))
                .post("/api/v1/rollouts").then().statusCode(201).extract().jsonPath().getLong("id");
    }

    @Test
    void anOperatorWatchesARolloutAdvanceWithoutReloadingAndPausesAndResumesIt() throws Exception {
        String group = unique("web");
        ReleasePublished old = publishRelease(unique("24.11"));
        ReleasePublished release = publishRelease(unique("25.05-web"));
        List<String> machines = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            String id = String.format("%s-%03d/dev", group, i);
            fleet.add(id, SimulatedFleet.Behaviour.HEALTHY, old.nixos().systemPath(), Map.of("group", group));
            machines.add(id);
        }
        long id = rollout(group, release, machines, List.of(Map.of("count", 2), Map.of("percent", 100)));

        WebDriver browser = browser("operator", FleetInfraResource.OPERATOR_PASSWORD);
        open(browser, "/ui/rollouts/" + id);
        await().atMost(Duration.ofSeconds(20)).until(() -> text(browser, "rollout-state").equals("DRAFT"));
        ((JavascriptExecutor) browser).executeScript("window.notReloaded = true;");
        click(browser, "#actions button");

        // the page follows the rollout by itself; pause it while the canary runs, then resume
        Set<String> currentWaves = new LinkedHashSet<>();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            currentWaves.addAll(currentWaves(browser));
            return !text(browser, "pause").isEmpty();
        });
        click(browser, "#pause");
        await().atMost(Duration.ofSeconds(60)).until(() -> text(browser, "rollout-state").equals("PAUSED"));
        screenshot(browser, "rollout-paused");
        await().atMost(Duration.ofSeconds(30)).until(() -> !text(browser, "resume").isEmpty());
        click(browser, "#resume");

        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).until(() -> {
            currentWaves.addAll(currentWaves(browser));
            if (currentWaves.contains("wave-1") && !currentWaves.contains("wave-2")) {
                screenshot(browser, "rollout-advancing");
            }
            return text(browser, "rollout-state").equals("SUCCEEDED");
        });
        assertThat(currentWaves).containsSubsequence("canary", "wave-1", "wave-2");
        assertThat(((JavascriptExecutor) browser).executeScript("return window.notReloaded === true;"))
                .as("the page updated in place, no reload").isEqualTo(true);
        assertThat(text(browser, "timeline")).contains("PAUSED").contains("RESUMED")
                .contains("operator");
        screenshot(browser, "rollout-succeeded");
    }

    @Test
    void aFailedMachineShowsItsUnitsAndAViewerSeesNoActions() throws Exception {
        String group = unique("webfail");
        ReleasePublished old = publishRelease(unique("24.11"));
        ReleasePublished release = publishRelease(unique("25.05-webfail"));
        String bad = group + "-001/dev";
        String good = group + "-002/dev";
        fleet.add(bad, SimulatedFleet.Behaviour.DEGRADED_ON_ACTIVATION, old.nixos().systemPath(), Map.of("group", group));
        fleet.add(good, SimulatedFleet.Behaviour.HEALTHY, old.nixos().systemPath(), Map.of("group", group));
        long id = rollout(group, release, List.of(bad, good), List.of(Map.of("percent", 100)));
        operatorApi().header("X-Fleet-Request", "1").post("/api/v1/rollouts/" + id + "/start").then().statusCode(200);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                operatorApi().get("/api/v1/rollouts/" + id).then().body("state", equalTo("ROLLED_BACK")));

        WebDriver viewer = browser("viewer", FleetInfraResource.VIEWER_PASSWORD);
        open(viewer, "/ui/rollouts/" + id);
        await().atMost(Duration.ofSeconds(20)).until(() -> text(viewer, "rollout-state").equals("ROLLED_BACK"));
        assertThat(viewer.findElements(By.tagName("button"))).as("a viewer gets no action buttons").isEmpty();
        assertThat(text(viewer, "failed")).contains(bad).contains("home-manager-dev.service");
        // times read relative to now in the viewer's terms, the exact local time on hover
        @SuppressWarnings("unchecked")
        List<String> time = (List<String>) ((JavascriptExecutor) viewer).executeScript(
                "var t = document.querySelector('#timeline time'); return [t.textContent, t.title, t.getAttribute('datetime')];");
        assertThat(time.get(0)).matches("just now|\\d+ (s|min|h|d) ago");
        assertThat(time.get(1)).as("the exact time in the browser's locale").contains(time.get(2).substring(0, 4))
                .doesNotMatch("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC");
        assertThat(text(viewer, "plan")).startsWith("A canary of 1 machine, then the rest.");
        screenshot(viewer, "failed-machine-viewer");

        click(viewer, "#failed a[href='/ui/machines/" + bad + "']");
        await().atMost(Duration.ofSeconds(10)).until(() -> viewer.getTitle().contains(bad));
        assertThat(viewer.getPageSource()).contains("home-manager-dev.service").contains("Health reports");
        assertThat(text(viewer, "generations")).contains(old.nixos().systemPath()).contains(old.releaseId())
                .contains("current");
        assertThat(text(viewer, "labels")).isEqualTo("group=" + group);
        screenshot(viewer, "failed-machine-page");
    }

    /**
     * The attack a security review would try first: a page of another site auto-submits a bodyless text/plain form
     * to a rollout action; the browser adds the operator's cached Basic credentials. The rollout must not change.
     */
    @Test
    void aPageOfAnotherSiteCannotChangeARollout() throws Exception {
        var release = Fixtures.publishRelease(Fixtures.unique("26.9"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> operatorApi()
                .get("/api/v1/releases/" + release.releaseId()).then().statusCode(200));
        long id = operatorApi().contentType("application/json").body(Map.of("name", "csrf-target",
                        "releaseId", release.releaseId(), "target", Map.of("all", true)))
                .post("/api/v1/rollouts").then().statusCode(201).extract().jsonPath().getLong("id");
        String target = base.toString() + "api/v1/rollouts/" + id + "/cancel";
        String page = "<html><body><form id=f method=post enctype=text/plain action='" + target + "'>"
                + "<input name=x value=y></form><script>document.getElementById('f').submit()</script></body></html>";
        com.sun.net.httpserver.HttpServer attacker = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        attacker.createContext("/", exchange -> {
            byte[] bytes = page.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "text/html");
            exchange.sendResponseHeaders(200, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        attacker.start();
        try {
            WebDriver driver = browser("operator", FleetInfraResource.OPERATOR_PASSWORD); // signed in, credentials cached
            driver.get("http://127.0.0.1:" + attacker.getAddress().getPort() + "/");
            await().atMost(Duration.ofSeconds(20)).until(() -> driver.getCurrentUrl().startsWith(target));
            assertThat(driver.getPageSource()).contains("X-Fleet-Request");
        } finally {
            attacker.stop(0);
        }
        operatorApi().get("/api/v1/rollouts/" + id).then().statusCode(200).body("state", equalTo("DRAFT"));
    }
}
