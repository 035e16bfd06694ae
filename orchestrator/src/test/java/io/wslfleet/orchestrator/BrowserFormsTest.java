package io.wslfleet.orchestrator;

import static io.restassured.RestAssured.given;
import static io.wslfleet.orchestrator.support.Chromium.click;
import static io.wslfleet.orchestrator.support.Chromium.screenshot;
import static io.wslfleet.orchestrator.support.Chromium.script;
import static io.wslfleet.orchestrator.support.Chromium.text;
import static io.wslfleet.orchestrator.support.Chromium.textOf;
import static io.wslfleet.orchestrator.support.Fixtures.publishRelease;
import static io.wslfleet.orchestrator.support.Fixtures.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.specification.RequestSpecification;
import io.wslfleet.orchestrator.support.Chromium;
import io.wslfleet.orchestrator.support.FleetInfraResource;
import io.wslfleet.orchestrator.support.Fixtures;
import io.wslfleet.orchestrator.support.SimulatedFleet;
import io.wslfleet.orchestrator.support.TestBus;
import io.wslfleet.protocol.Decoded;
import io.wslfleet.protocol.EventDecoder;
import io.wslfleet.protocol.Topics;
import io.wslfleet.protocol.events.BuildProgress;
import io.wslfleet.protocol.events.BuildRequested;
import io.wslfleet.protocol.events.ReleasePublished;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The dashboard's forms in a real headless Chromium: a rollout made and started through the new-rollout form (live
 * count, wave sizes, a refused field) and followed to SUCCEEDED, a build requested through the builds form and
 * followed to its release, a pending machine accepted, an enrolment token made and revoked. They send what an
 * operator types to the REST API as JSON; the simulated agents and a test build worker answer over the real broker.
 */
@QuarkusTest
@QuarkusTestResource(FleetInfraResource.class)
class BrowserFormsTest extends BrowserTestBase {
    private static final Duration WAIT = Duration.ofSeconds(30);

    private WebDriver browser(String user, String password, String path) throws Exception {
        WebDriver driver = browser(user, password);
        open(driver, path);
        return driver;
    }

    private static RequestSpecification api(String user, String password) {
        return given().auth().preemptive().basic(user, password);
    }

    private static void type(WebDriver driver, String cssSelector, String text) {
        WebElement field = driver.findElement(By.cssSelector(cssSelector));
        field.sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.DELETE);
        field.sendKeys(text);
    }

    @Test
    void anOperatorCreatesARolloutThroughTheFormAndWatchesItSucceedWithoutAReload() throws Exception {
        String group = unique("form");
        ReleasePublished old = publishRelease(unique("24.11"));
        ReleasePublished release = publishRelease(unique("25.05-form"));
        for (int i = 1; i <= 3; i++) {
            fleet.add(String.format("%s-%03d/dev", group, i), SimulatedFleet.Behaviour.HEALTHY,
                    old.nixos().systemPath(), Map.of("group", group));
        }
        await().atMost(WAIT).untilAsserted(() -> {
            api("viewer", FleetInfraResource.VIEWER_PASSWORD).queryParam("label", "group=" + group)
                    .get("/api/v1/machines").then().body("total", equalTo(3));
            api("viewer", FleetInfraResource.VIEWER_PASSWORD).get("/api/v1/releases/" + release.releaseId())
                    .then().statusCode(200);
        });

        WebDriver browser = browser("operator", FleetInfraResource.OPERATOR_PASSWORD, "/ui/rollouts/new");
        await().atMost(WAIT).until(() -> !browser.findElements(
                By.cssSelector("#f-release option[value='" + release.releaseId() + "']")).isEmpty());
        type(browser, "#f-name", "25.05 to " + group);
        new Select(browser.findElement(By.id("f-release"))).selectByValue(release.releaseId());
        type(browser, "#f-labels", "group=" + group);
        await().atMost(WAIT).until(() -> text(browser, "matched").equals("3"));

        // 60 % then 30 %: the last wave must take the rest, and the API says so on that field
        type(browser, "#waves-form tr:nth-child(2) .w-size", "60");
        click(browser, "#add-wave");
        type(browser, "#waves-form tr:nth-child(3) .w-size", "30");
        click(browser, "#create-start");
        await().atMost(WAIT).until(() -> textOf(browser, "[data-field~='waves[1].percent'] .field-error")
                .contains("the last wave takes every target left (40% here)"));
        assertThat(browser.getCurrentUrl()).as("refused: still on the form").endsWith("/ui/rollouts/new");
        screenshot(browser, "rollout-form-refused");

        type(browser, "#waves-form tr:nth-child(3) .w-size", "100");
        await().atMost(WAIT).until(() -> textOf(browser, "#waves-form .field-error").isEmpty()
                && textOf(browser, "#waves-form tr:nth-child(2) .machines").equals("2"));
        assertThat(textOf(browser, "#waves-form tr:nth-child(1) .machines")).as("the canary").isEqualTo("1");

        // a maintenance window shows its next openings in its own time zone
        click(browser, "#f-window");
        type(browser, "#f-zone", "Europe/Berlin");
        await().atMost(WAIT).until(() -> browser.findElements(By.cssSelector("#openings li")).size() == 5);
        assertThat(textOf(browser, "#openings li")).contains("22:00 CE");
        screenshot(browser, "rollout-form");
        click(browser, "#f-window"); // and without it, to run now

        click(browser, "#create-start");
        await().atMost(WAIT).until(() -> browser.getCurrentUrl().matches(".*/ui/rollouts/\\d+$"));
        await().atMost(WAIT).until(() -> !text(browser, "rollout-state").isEmpty());
        script(browser, "window.notReloaded = true;");
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
                .until(() -> text(browser, "rollout-state").equals("SUCCEEDED"));
        assertThat(script(browser, "return window.notReloaded === true;")).as("the page updated in place").isEqualTo(true);
        long id = Long.parseLong(browser.getCurrentUrl().replaceAll(".*/", ""));
        api("viewer", FleetInfraResource.VIEWER_PASSWORD).get("/api/v1/rollouts/" + id).then()
                .body("releaseId", equalTo(release.releaseId())).body("createdBy", equalTo("operator"))
                .body("target.labels.group", equalTo(group)).body("waves.size()", equalTo(2));
    }

    @Test
    void anOperatorRequestsABuildThroughTheFormAndSeesItsReleaseAppear() throws Exception {
        String version = unique("2505.7.0-acme");
        WebDriver browser = browser("operator", FleetInfraResource.OPERATOR_PASSWORD, "/ui/builds");
        type(browser, "#b-version", version);
        type(browser, "#b-upstream", "2505.7.0");
        type(browser, "#b-default-name", "AcmeNixOS");
        type(browser, "#b-wslconf", "boot.systemd = true\nnetwork.hostname = dev");
        click(browser, "#b-add-file");
        type(browser, "#b-files .f-path", "/etc/profile.d/proxy.sh");
        type(browser, "#b-files .f-content", "export https_proxy=http://proxy.acme:3128");
        screenshot(browser, "build-form");
        click(browser, "#b-submit");
        await().atMost(WAIT).until(() -> text(browser, "form-error").startsWith("Build b-"));
        String buildId = text(browser, "form-error").replaceAll("^Build (\\S+) requested\\.$", "$1");
        await().atMost(WAIT).until(() -> textOf(browser, "#build-" + buildId).contains("REQUESTED"));

        // the request a build worker gets
        List<ConsumerRecord<String, byte[]>> requests = await().atMost(WAIT).until(() -> TestBus.readAll(
                Topics.BUILD_REQUESTS, r -> buildId.equals(r.key()), Duration.ofMillis(500)), r -> !r.isEmpty());
        var decoded = (Decoded.Event) EventDecoder.of(Topics.BUILD_REQUESTS).decode(requests.get(0));
        BuildRequested request = (BuildRequested) decoded.event().data();
        assertThat(request.version()).isEqualTo(version);
        assertThat(request.requestedBy()).isEqualTo("operator");
        assertThat(request.source()).isEqualTo(new BuildRequested.Source(BuildRequested.SourceKind.UPSTREAM,
                "https://github.com/nix-community/NixOS-WSL/releases/download/2505.7.0/nixos.wsl", null, null));
        assertThat(request.customization().defaultName()).isEqualTo("AcmeNixOS");
        assertThat(request.customization().wslConf()).containsExactlyInAnyOrderEntriesOf(
                Map.of("boot.systemd", "true", "network.hostname", "dev"));
        assertThat(request.customization().files()).containsExactlyEntriesOf(
                Map.of("/etc/profile.d/proxy.sh", "export https_proxy=http://proxy.acme:3128"));

        // the worker's progress, then its release, show on the page as they come
        TestBus.publish("/build-worker/test", new BuildProgress(buildId, "DOWNLOADING", 300, 1000));
        await().atMost(WAIT).until(() -> textOf(browser, "#build-" + buildId).contains("DOWNLOADING"));
        ReleasePublished signed = Fixtures.signedRelease(version, Fixtures.buildPrivateKey(), Fixtures.BUILD_KEY_ID);
        TestBus.publish("/build-worker/test", new ReleasePublished(signed.releaseId(), buildId, signed.version(),
                signed.sha256(), signed.size(), signed.downloadUrl(), signed.manifest(), signed.signature(),
                signed.keyId(), signed.nixos()));
        await().atMost(WAIT).until(() -> textOf(browser, "#build-" + buildId + " .release").equals(signed.releaseId()));
        String row = textOf(browser, "#build-" + buildId);
        assertThat(row).contains("PUBLISHED").doesNotContain("DOWNLOADING");
        // a build a worker did for someone else (the sandbox's demo build asks over Kafka) is listed too
        ReleasePublished fromTheBus = publishRelease(unique("25.11-bus"));
        await().atMost(WAIT).until(() -> textOf(browser, "#build-" + fromTheBus.buildId())
                .contains("requested on the bus"));
        assertThat(textOf(browser, "#build-" + fromTheBus.buildId() + " .release")).isEqualTo(fromTheBus.releaseId());
        screenshot(browser, "builds");
    }

    @Test
    void anOperatorAcceptsAPendingMachineAndAnAdminMakesAndRevokesAToken() throws Exception {
        String id = unique("pending") + "/dev";
        fleet.add(id, SimulatedFleet.Behaviour.HEALTHY, Fixtures.systemPath("24.11"), Map.of(), null);
        WebDriver operator = browser("operator", FleetInfraResource.OPERATOR_PASSWORD, "/ui/enrolment");
        String row = "#pending tr[id='machine-" + id + "']";
        await().atMost(WAIT).until(() -> !textOf(operator, row).isEmpty());
        assertThat(textOf(operator, row)).contains("ed25519:");
        screenshot(operator, "enrolment-pending");
        click(operator, row + " button.accept");
        await().atMost(WAIT).untilAsserted(() -> api("viewer", FleetInfraResource.VIEWER_PASSWORD)
                .get("/api/v1/machines/" + id).then().body("enrolment", equalTo("ACCEPTED"))
                .body("admittedBy", equalTo("operator")));
        await().atMost(WAIT).until(() -> textOf(operator, row).isEmpty());

        // revoked, it shows among the machines cut off
        api("operator", FleetInfraResource.OPERATOR_PASSWORD).header("X-Fleet-Request", "1")
                .post("/api/v1/machines/" + id + "/revoke").then().statusCode(200);
        await().atMost(WAIT).until(() -> textOf(operator, "#cut-off tr[id='machine-" + id + "']").contains("REVOKED"));

        WebDriver admin = browser("admin", FleetInfraResource.ADMIN_PASSWORD, "/ui/enrolment");
        type(admin, "#t-uses", "25");
        type(admin, "#t-ring", "pilot");
        type(admin, "#t-labels", "site=berlin");
        click(admin, "#t-create");
        await().atMost(WAIT).until(() -> text(admin, "token-text").matches("et-\\S+\\.\\S+"));
        String tokenId = text(admin, "token-text").substring(0, text(admin, "token-text").indexOf('.'));
        String token = "#tokens tr[id='token-" + tokenId + "']";
        await().atMost(WAIT).until(() -> textOf(admin, token).contains("ACTIVE"));
        assertThat(textOf(admin, token)).contains("0 / 25").contains("ring pilot").contains("site=berlin");
        screenshot(admin, "enrolment");
        script(admin, "window.confirm = () => true;");
        click(admin, token + " button.revoke");
        await().atMost(WAIT).until(() -> textOf(admin, token).contains("REVOKED"));
    }
}
