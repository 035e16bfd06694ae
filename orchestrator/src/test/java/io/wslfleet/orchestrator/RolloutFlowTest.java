package io.wslfleet.orchestrator;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.wslfleet.orchestrator.support.FleetInfraResource;
import io.wslfleet.orchestrator.support.SimulatedFleet;
import io.wslfleet.orchestrator.support.SimulatedFleet.Behaviour;
import io.wslfleet.orchestrator.support.TestBus;
import io.wslfleet.orchestrator.support.TestAgent;
import io.wslfleet.protocol.CloudEvent;
import io.wslfleet.protocol.CloudEventHeaders;
import io.wslfleet.protocol.Decoded;
import io.wslfleet.protocol.EventCodec;
import io.wslfleet.protocol.EventDecoder;
import io.wslfleet.protocol.Topics;
import io.wslfleet.protocol.events.AgentEvent;
import io.wslfleet.protocol.events.AgentHeartbeat;
import io.wslfleet.protocol.events.AgentRegistered;
import io.wslfleet.protocol.events.Health;
import io.wslfleet.protocol.events.InstallCommand;
import io.wslfleet.protocol.events.Inventory;
import io.wslfleet.protocol.events.ReleasePublished;
import io.wslfleet.protocol.events.RollbackCommand;
import io.wslfleet.protocol.events.UpgradeCommand;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static io.wslfleet.orchestrator.support.Fixtures.publishRelease;
import static io.wslfleet.orchestrator.support.Fixtures.systemPath;
import static io.wslfleet.orchestrator.support.Fixtures.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;

/** Rollouts through the real broker and database, with simulated agents speaking the real protocol. */
@QuarkusTest
@QuarkusTestResource(FleetInfraResource.class)
class RolloutFlowTest {
    private static SimulatedFleet fleet;

    @BeforeAll
    static void startFleet() {
        fleet = new SimulatedFleet();
    }

    @org.junit.jupiter.api.BeforeEach
    void signIn() {
        io.restassured.RestAssured.authentication = io.restassured.RestAssured.preemptive()
                .basic("operator", FleetInfraResource.OPERATOR_PASSWORD);
    }

    @AfterAll
    static void stopFleet() throws InterruptedException {
        fleet.close();
    }

    private static List<String> register(String group, int count, Behaviour behaviour, String fromPath) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String id = String.format("%s-%03d/dev", group, i);
            fleet.add(id, behaviour, fromPath, Map.of("group", group));
            ids.add(id);
        }
        return ids;
    }

    private static void awaitReleaseAndMachines(String releaseId, String group, int machines) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            given().get("/api/v1/releases/" + releaseId).then().statusCode(200);
            given().queryParam("label", "group=" + group).get("/api/v1/machines")
                    .then().statusCode(200).body("total", equalTo(machines));
        });
    }

    /** Healthy machines on an old release, and a new release for them: where most rollouts here start. */
    private record HealthyGroup(String group, ReleasePublished old, ReleasePublished release, List<String> agents) {
    }

    private static HealthyGroup healthyGroup(String name, String version, int machines) {
        String group = unique(name);
        ReleasePublished old = publishRelease(unique("24.11"));
        ReleasePublished release = publishRelease(unique(version));
        List<String> agents = register(group, machines, Behaviour.HEALTHY, old.nixos().systemPath());
        awaitReleaseAndMachines(release.releaseId(), group, machines);
        return new HealthyGroup(group, old, release, agents);
    }

    private static long createRollout(String body) {
        return given().contentType(ContentType.JSON).body(body).post("/api/v1/rollouts")
                .then().statusCode(201).extract().jsonPath().getLong("id");
    }

    private static JsonPath awaitRolloutState(long id, String state, Duration within) {
        await().atMost(within).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                given().get("/api/v1/rollouts/" + id).then().body("state", equalTo(state)));
        return given().get("/api/v1/rollouts/" + id).then().extract().jsonPath();
    }

    @Test
    void rolloutGoesFromCanaryThroughWavesToSucceeded() {
        HealthyGroup g = healthyGroup("waves", "25.05", 20);

        long id = createRollout("""
                {"name":"%s","releaseId":"%s","target":{"labels":{"group":"%s"}},
                 "canary":{"count":1},"waves":[{"percent":25},{"percent":100}],"start":true}
                """.formatted(g.group(), g.release().releaseId(), g.group()));

        JsonPath done = awaitRolloutState(id, "SUCCEEDED", Duration.ofSeconds(60));
        assertThat(done.getList("waves.size", Integer.class)).containsExactly(1, 5, 14);
        assertThat(done.getList("waves.succeeded", Integer.class)).containsExactly(1, 5, 14);
        given().queryParam("label", "group=" + g.group()).queryParam("release", g.release().releaseId())
                .get("/api/v1/machines").then().body("total", equalTo(20));
        List<String> actions = given().get("/api/v1/rollouts/" + id + "/timeline").then().extract().jsonPath()
                .getList("action");
        assertThat(actions).containsSubsequence("STARTED", "WAVE_STARTED", "WAVE_STARTED", "SUCCEEDED");
        // every machine was commanded exactly once, with an upgrade (each already had NixOS)
        for (String agent : g.agents()) {
            assertThat(fleet.agent(agent).received).hasSize(1).allMatch(UpgradeCommand.class::isInstance);
        }
    }

    @Test
    void waveCrossingErrorThresholdHaltsAndRollsBackEveryMovedMachine() {
        String group = unique("halt");
        ReleasePublished old = publishRelease(unique("24.11"));
        ReleasePublished release = publishRelease(unique("25.05-bad"));
        List<String> healthy = register(group + "-a", 4, Behaviour.HEALTHY, old.nixos().systemPath());
        List<String> degraded = register(group + "-b", 4, Behaviour.DEGRADED_ON_ACTIVATION, old.nixos().systemPath());
        List<String> all = new ArrayList<>(healthy);
        all.addAll(degraded);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                given().queryParam("q", group).get("/api/v1/machines").then().body("total", equalTo(8)));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                given().get("/api/v1/releases/" + release.releaseId()).then().statusCode(200));

        // ids sort "-a-…" before "-b-…": the canary and first wave are healthy, the last wave degrades
        long id = createRollout("""
                {"name":"%s","releaseId":"%s","target":{"machineIds":%s},"canary":{"count":1},
                 "waves":[{"count":3},{"percent":100}],"errorThresholdPercent":25,"successThresholdPercent":75,
                 "start":true}
                """.formatted(group, release.releaseId(), json(all)));

        JsonPath done = awaitRolloutState(id, "ROLLED_BACK", Duration.ofSeconds(60));
        assertThat(done.getString("haltReason")).contains("wave-2").contains("error threshold");
        JsonPath deployments = given().queryParam("size", 100).get("/api/v1/rollouts/" + id + "/deployments")
                .then().extract().jsonPath();
        for (String agent : healthy) {
            assertThat(deployments.getString("items.find { it.machineId == '" + agent + "' }.state"))
                    .isEqualTo("ROLLED_BACK");
            assertThat(fleet.agent(agent).received).hasSize(2).last().isInstanceOfSatisfying(RollbackCommand.class,
                    r -> assertThat(r.toGeneration()).isEqualTo(1));
            assertThat(fleet.agent(agent).currentPath()).isEqualTo(old.nixos().systemPath());
        }
        for (String agent : degraded) {
            String state = deployments.getString("items.find { it.machineId == '" + agent + "' }.state");
            assertThat(state).as(agent).isIn("ROLLED_BACK", "CANCELLED");
        }
        assertThat(deployments.getList("items.findAll { it.reason == 'ACTIVATION_FAILED' }.failedUnits.flatten()"))
                .contains("home-manager-dev.service");
        List<String> actions = given().get("/api/v1/rollouts/" + id + "/timeline").then().extract().jsonPath()
                .getList("action");
        assertThat(actions).containsSubsequence("HALTED", "ROLLING_BACK", "ROLLED_BACK");
        // the machines report the old generation again: the registry says so (from their next reports)
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                given().queryParam("q", group).queryParam("release", old.releaseId()).get("/api/v1/machines")
                        .then().body("total", equalTo(8)));
    }

    @Test
    void silentMachinesTimeOutAndCountAgainstTheWave() {
        String group = unique("silent");
        ReleasePublished release = publishRelease(unique("25.05"));
        List<String> talking = register(group + "-a", 2, Behaviour.HEALTHY, null);
        List<String> silent = register(group + "-b", 1, Behaviour.SILENT, null);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                given().queryParam("q", group).get("/api/v1/machines").then().body("total", equalTo(3)));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                given().get("/api/v1/releases/" + release.releaseId()).then().statusCode(200));
        List<String> all = new ArrayList<>(talking);
        all.addAll(silent);

        long id = createRollout("""
                {"name":"%s","releaseId":"%s","target":{"machineIds":%s},"canary":{"percent":100},
                 "errorThresholdPercent":40,"successThresholdPercent":60,"deadlineSeconds":3,"start":true}
                """.formatted(group, release.releaseId(), json(all)));

        JsonPath done = awaitRolloutState(id, "SUCCEEDED", Duration.ofSeconds(30));
        assertThat(done.getInt("waves[0].errors")).isEqualTo(1);
        assertThat(done.getInt("waves[0].succeeded")).isEqualTo(2);
        given().queryParam("state", "TIMED_OUT").get("/api/v1/rollouts/" + id + "/deployments")
                .then().body("items.machineId", equalTo(silent)).body("items[0].reason", equalTo("DEADLINE_PASSED"));
        // machines without NixOS were sent an install, not an upgrade
        assertThat(fleet.agent(talking.get(0)).received).singleElement().isInstanceOf(InstallCommand.class);
    }

    @Test
    void malformedAgentEventGoesToDeadLetterAndTheFlowAfterItContinues() {
        String agent = unique("dlq") + "/dev";
        TestBus.send(new ProducerRecord<>(Topics.AGENT_EVENTS, agent, "{not an event".getBytes()));
        SimulatedFleet.Agent a = fleet.add(agent, Behaviour.HEALTHY, null, Map.of());

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                given().get("/api/v1/machines/" + agent).then().statusCode(200).body("health", equalTo("absent")));
        var dead = TestBus.readAll(Topics.DEAD_LETTER, r -> agent.equals(r.key()), Duration.ofSeconds(1));
        assertThat(dead).hasSize(1);
        assertThat(new String(dead.get(0).headers().lastHeader(CloudEventHeaders.DLQ_REASON).value(),
                StandardCharsets.UTF_8)).isEqualTo("MISSING_HEADER");
        assertThat(dead.get(0).value()).isEqualTo("{not an event".getBytes());
        assertThat(a.id).isEqualTo(agent);
    }

    @Test
    void anEventRefusedWhenAppliedIsDeadLetteredAtOnceAndTheEventsPolledWithItAreApplied() throws Exception {
        TestAgent test = new TestAgent(unique("poison") + "/dev");
        String agent = test.id;
        String path = systemPath("24.11");
        // the middle event decodes, but applying it finds its sequence implausibly far ahead: a data error, final at
        // once, found inside a batch
        List<AgentEvent> events = List.of(
                test.registration(Map.of(), List.of(), io.wslfleet.orchestrator.support.Fixtures.enrolmentToken()),
                new AgentHeartbeat(agent, 2_000_002, new Health("NixOS", "degraded",
                        List.of("forged.service"), 1, path, Instant.now())),
                new AgentHeartbeat(agent, 3, new Health("NixOS", "running", List.of(), 1, path, Instant.now())));
        // sent back to back on one key, so they are polled (and applied) as one batch
        for (AgentEvent event : events) {
            TestBus.producer(Topics.AGENT_EVENTS).send(test.record(event));
        }
        TestBus.producer(Topics.AGENT_EVENTS).flush();

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> given().get("/api/v1/machines/" + agent).then()
                .statusCode(200).body("health", equalTo("healthy")).body("currentSystemPath", equalTo(path)));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            var dead = TestBus.readAll(Topics.DEAD_LETTER, r -> agent.equals(r.key()), Duration.ofSeconds(1));
            assertThat(dead).hasSize(1);
            assertThat(new String(dead.get(0).headers().lastHeader(CloudEventHeaders.DLQ_REASON).value(),
                    StandardCharsets.UTF_8)).isEqualTo("SEQUENCE_JUMP");
            assertThat(EventDecoder.of(Topics.AGENT_EVENTS).decode(dead.get(0))).isInstanceOfSatisfying(Decoded.Event.class,
                    e -> assertThat(((AgentEvent) e.event().data()).sequence()).isEqualTo(2_000_002));
        });
    }

    @Test
    void staleAndOutOfOrderEventsChangeNothing() {
        String agent = unique("stale") + "/dev";
        SimulatedFleet.Agent a = fleet.add(agent, Behaviour.HEALTHY, systemPath("24.11"), Map.of());
        String degraded = systemPath("degraded");
        fleet.emit(a, new AgentHeartbeat(agent, 50, new Health("NixOS", "degraded", List.of("x.service"), 2,
                degraded, Instant.now())));
        fleet.emit(a, new AgentHeartbeat(agent, 40, new Health("NixOS", "running", List.of(), 1, systemPath("24.11"),
                Instant.now())));
        fleet.emit(a, new AgentHeartbeat(agent, 50, new Health("NixOS", "running", List.of(), 1, systemPath("24.11"),
                Instant.now())));
        // a later event proves the three above were consumed
        fleet.emit(a, new AgentHeartbeat(agent, 51, new Health("NixOS", "degraded", List.of("x.service", "y.service"),
                2, degraded, Instant.now())));

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/api/v1/machines/" + agent).then()
                .body("failedUnits", hasItem("y.service")));
        given().get("/api/v1/machines/" + agent + "/health").then().body("size()", equalTo(3))
                .body("state", equalTo(List.of("degraded", "degraded", "healthy")));
    }

    @Test
    void aReinstalledAgentIsHeardAgainAndItsOldEpochIsStale() {
        String agent = unique("epoch") + "/dev";
        SimulatedFleet.Agent a = fleet.add(agent, Behaviour.HEALTHY, systemPath("24.11"), Map.of());
        long oldEpoch = Instant.now().minusSeconds(3600).toEpochMilli();
        long newEpoch = Instant.now().toEpochMilli();
        String degraded = systemPath("degraded");
        fleet.emit(a, new AgentHeartbeat(agent, oldEpoch, 900, new Health("NixOS", "degraded", List.of("old.service"),
                2, degraded, Instant.now())));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/api/v1/machines/" + agent).then()
                .body("failedUnits", hasItem("old.service")));

        // the state directory was wiped: a new epoch, the sequence from 1 again
        fleet.emit(a, new AgentHeartbeat(agent, newEpoch, 1, new Health("NixOS", "running", List.of(), 1,
                systemPath("24.11"), Instant.now())));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/api/v1/machines/" + agent).then()
                .body("health", equalTo("healthy")));
        // a late event of the old state, however high its sequence, is stale; the new epoch's next one is applied
        fleet.emit(a, new AgentHeartbeat(agent, oldEpoch, 901, new Health("NixOS", "degraded", List.of("late.service"),
                2, degraded, Instant.now())));
        fleet.emit(a, new AgentHeartbeat(agent, newEpoch, 2, new Health("NixOS", "degraded", List.of("new.service"),
                1, systemPath("24.11"), Instant.now())));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/api/v1/machines/" + agent).then()
                .body("failedUnits", hasItem("new.service")).body("failedUnits", not(hasItem("late.service"))));
    }

    private static String json(List<String> ids) {
        return ids.stream().map(s -> "\"" + s + "\"").collect(java.util.stream.Collectors.joining(",", "[", "]"));
    }

    private static List<String> timeline(long id) {
        return given().get("/api/v1/rollouts/" + id + "/timeline").then().extract().jsonPath().getList("action");
    }

    @Test
    void aRolloutOutsideItsMaintenanceWindowWaitsAndOneInsideItsWindowProceeds() throws InterruptedException {
        HealthyGroup g = healthyGroup("window", "25.05-window", 2);
        int closedHour = java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC).plusHours(12).getHour();

        long waiting = createRollout("""
                {"name":"%s-closed","releaseId":"%s","target":{"labels":{"group":"%s"}},
                 "maintenanceWindow":{"cron":"0 %d * * *","durationMinutes":60,"timeZone":"UTC"},"start":true}
                """.formatted(g.group(), g.release().releaseId(), g.group(), closedHour));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> given().get("/api/v1/rollouts/" + waiting).then()
                .body("waitingFor", equalTo("MAINTENANCE_WINDOW")).body("windowOpen", equalTo(false)));
        Thread.sleep(2500);
        assertThat(g.agents()).allSatisfy(a -> assertThat(fleet.agent(a).received).isEmpty());
        assertThat(given().get("/api/v1/rollouts/" + waiting + "/deployments").then().extract().jsonPath()
                .getList("items.state", String.class)).containsOnly("PENDING");
        assertThat(timeline(waiting)).contains("WAITING_FOR_MAINTENANCE_WINDOW");
        given().header("X-Fleet-Request", "1").post("/api/v1/rollouts/" + waiting + "/cancel").then().statusCode(200);

        long open = createRollout("""
                {"name":"%s-open","releaseId":"%s","target":{"labels":{"group":"%s"}},
                 "maintenanceWindow":{"cron":"* * * * *","durationMinutes":30,"timeZone":"Europe/Berlin"},"start":true}
                """.formatted(g.group(), g.release().releaseId(), g.group()));
        awaitRolloutState(open, "SUCCEEDED", Duration.ofSeconds(30));
    }

    @Test
    void approvalsGateTheFirstWaveAndEachLaterOne() {
        HealthyGroup g = healthyGroup("approve", "25.05-approve", 3);
        long id = createRollout("""
                {"name":"%s","releaseId":"%s","target":{"labels":{"group":"%s"}},"canary":{"count":1},
                 "waves":[{"percent":100}],"approvalRequired":true,"start":true}
                """.formatted(g.group(), g.release().releaseId(), g.group()));

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                given().get("/api/v1/rollouts/" + id).then().body("waitingFor", equalTo("APPROVAL")));
        assertThat(g.agents()).allSatisfy(a -> assertThat(fleet.agent(a).received).isEmpty());

        given().header("X-Fleet-Request", "1").post("/api/v1/rollouts/" + id + "/approve").then().statusCode(200).body("approvedWave", equalTo(0));
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> given().get("/api/v1/rollouts/" + id).then()
                .body("currentWave", equalTo(1)).body("waitingFor", equalTo("APPROVAL")));
        assertThat(g.agents().stream().mapToInt(a -> fleet.agent(a).received.size()).sum()).isEqualTo(1);

        given().header("X-Fleet-Request", "1").post("/api/v1/rollouts/" + id + "/approve").then().statusCode(200).body("approvedWave", equalTo(1));
        awaitRolloutState(id, "SUCCEEDED", Duration.ofSeconds(30));
        assertThat(timeline(id)).containsSubsequence("WAITING_FOR_APPROVAL", "APPROVED", "WAITING_FOR_APPROVAL",
                "APPROVED", "SUCCEEDED");
    }

    @Test
    void anOperatorRollsBackARunningRolloutAndItsPendingMachinesAreNeverCommanded() {
        HealthyGroup g = healthyGroup("operator-back", "25.05-operator-back", 3);
        long id = createRollout("""
                {"name":"%s","releaseId":"%s","target":{"machineIds":%s},"canary":{"count":1},
                 "waves":[{"percent":100}],"approvalRequired":true,"start":true}
                """.formatted(g.group(), g.release().releaseId(), json(g.agents())));
        given().header("X-Fleet-Request", "1").post("/api/v1/rollouts/" + id + "/approve").then().statusCode(200);
        // the canary succeeded; the next wave waits for an approval that never comes
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> given().get("/api/v1/rollouts/" + id).then()
                .body("currentWave", equalTo(1)).body("waitingFor", equalTo("APPROVAL")));
        String canary = g.agents().get(0);

        given().header("X-Fleet-Request", "1").post("/api/v1/rollouts/" + id + "/rollback").then().statusCode(200);

        awaitRolloutState(id, "ROLLED_BACK", Duration.ofSeconds(30));
        JsonPath deployments = given().get("/api/v1/rollouts/" + id + "/deployments").then().extract().jsonPath();
        assertThat(deployments.getString("items.find { it.machineId == '" + canary + "' }.state"))
                .isEqualTo("ROLLED_BACK");
        assertThat(fleet.agent(canary).received).hasSize(2).last().isInstanceOfSatisfying(RollbackCommand.class,
                r -> assertThat(r.toGeneration()).isEqualTo(1));
        assertThat(fleet.agent(canary).currentPath()).isEqualTo(g.old().nixos().systemPath());
        for (String agent : g.agents().subList(1, g.agents().size())) {
            assertThat(deployments.getString("items.find { it.machineId == '" + agent + "' }.state")).as(agent)
                    .isEqualTo("CANCELLED");
            assertThat(fleet.agent(agent).received).as(agent).isEmpty();
        }
        JsonPath timeline = given().get("/api/v1/rollouts/" + id + "/timeline").then().extract().jsonPath();
        assertThat(timeline.getList("action", String.class))
                .containsSubsequence("APPROVED", "ROLLING_BACK", "ROLLED_BACK").doesNotContain("HALTED");
        assertThat(timeline.getString("find { it.action == 'ROLLING_BACK' }.actor")).isEqualTo("operator");
        assertThat(timeline.getString("find { it.action == 'ROLLING_BACK' }.detail")).isEqualTo("rolled back by operator");
    }

    @Test
    void machinesMatchingTheTargetLaterJoinTheCurrentWave() {
        HealthyGroup g = healthyGroup("join", "25.05-join", 2);
        long id = createRollout("""
                {"name":"%s","releaseId":"%s","target":{"labels":{"group":"%s"}},"canary":{"count":1},
                 "waves":[{"percent":100}],"soakSeconds":4,"start":true}
                """.formatted(g.group(), g.release().releaseId(), g.group()));
        String late = g.group() + "-late/dev";
        fleet.add(late, Behaviour.HEALTHY, g.old().nixos().systemPath(), Map.of("group", g.group()));

        awaitRolloutState(id, "SUCCEEDED", Duration.ofSeconds(40));
        assertThat(given().queryParam("size", 10).get("/api/v1/rollouts/" + id + "/deployments").then().extract()
                .jsonPath().getList("items.machineId", String.class)).contains(late).hasSize(3);
        assertThat(fleet.agent(late).received).hasSize(1);
        assertThat(timeline(id)).contains("JOINED");
    }

    @Test
    void theDownloadCapLimitsMachinesCommandedAtOnce() throws InterruptedException {
        String group = unique("cap");
        ReleasePublished release = publishRelease(unique("25.05-cap"));
        List<String> silent = register(group, 3, Behaviour.SILENT, null);
        awaitReleaseAndMachines(release.releaseId(), group, 3);
        long id = createRollout("""
                {"name":"%s","releaseId":"%s","target":{"labels":{"group":"%s"}},"canary":{"count":3},
                 "maxConcurrentDownloads":1,"deadlineSeconds":600,"start":true}
                """.formatted(group, release.releaseId(), group));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(silent.stream()
                .mapToInt(a -> fleet.agent(a).received.size()).sum()).isEqualTo(1));
        Thread.sleep(2500);
        assertThat(silent.stream().mapToInt(a -> fleet.agent(a).received.size()).sum()).isEqualTo(1);
        assertThat(given().get("/api/v1/rollouts/" + id + "/deployments").then().extract().jsonPath()
                .getList("items.state", String.class)).containsExactlyInAnyOrder("COMMANDED", "PENDING", "PENDING");
        given().header("X-Fleet-Request", "1").post("/api/v1/rollouts/" + id + "/cancel").then().statusCode(200);
    }

    @Test
    void threeHundredMachinesGoThroughCanaryAndWavesWithOneCommandEach() {
        HealthyGroup g = healthyGroup("scale", "25.05-scale", 300);

        long id = createRollout("""
                {"name":"%s","releaseId":"%s","target":{"labels":{"group":"%s"}},"canary":{"percent":1},
                 "waves":[{"percent":10},{"percent":40},{"percent":100}],"errorThresholdPercent":5,
                 "successThresholdPercent":95,"start":true}
                """.formatted(g.group(), g.release().releaseId(), g.group()));
        JsonPath done = awaitRolloutState(id, "SUCCEEDED", Duration.ofSeconds(120));
        assertThat(done.getList("waves.size", Integer.class)).containsExactly(3, 30, 120, 147);
        assertThat(g.agents()).allSatisfy(a -> assertThat(fleet.agent(a).received).hasSize(1));
        given().queryParam("release", g.release().releaseId()).queryParam("label", "group=" + g.group())
                .get("/api/v1/machines").then().body("total", equalTo(300));
    }
}
