package io.wslfleet.sandbox;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

import io.restassured.RestAssured;
import io.restassured.specification.RequestSpecification;
import io.wslfleet.buildworker.DemoRoot;
import io.wslfleet.protocol.CloudEvent;
import io.wslfleet.protocol.CloudEventHeaders;
import io.wslfleet.protocol.Decoded;
import io.wslfleet.protocol.EventCodec;
import io.wslfleet.protocol.EventDecoder;
import io.wslfleet.protocol.Topics;
import io.wslfleet.protocol.events.AgentRegistered;
import io.wslfleet.protocol.events.CommandOutcome;
import io.wslfleet.protocol.events.CommandResult;
import io.wslfleet.protocol.events.InstallCommand;
import io.wslfleet.protocol.events.ReleasePublished;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One release travels the whole path through a real broker and database: build worker → fleet.artifacts →
 * orchestrator → fleet.commands → windows agent (its own process) → stand-in wsl.exe (its own process) →
 * fleet.agent-events → orchestrator. Every hop is asserted on the wire and through the REST API; a malformed record
 * on fleet.agent-events goes to fleet.dead-letter and the flow after it still completes.
 */
class WalkingSkeletonTest {

    private static final Duration HOP = Duration.ofSeconds(90);

    @TempDir
    static Path work;

    static LocalFleet fleet;
    static BusObserver observer;
    static List<ConsumerRecord<String, byte[]>> seen;

    @BeforeAll
    static void startFleet() {
        Path jar = Path.of(System.getProperty("fleet.orchestrator.jar",
                "../../orchestrator/target/quarkus-app/quarkus-run.jar"));
        fleet = LocalFleet.start(new LocalFleet.Options(work, 3, 0, jar, "skeleton-admin", System.getenv()),
                line -> System.out.println("[sandbox] " + line));
        observer = new BusObserver(fleet, "skeleton-observer", Topics.ALL);
        seen = observer.seen();
        RestAssured.baseURI = fleet.api().base().toString();
    }

    @AfterAll
    static void stopFleet() throws Exception {
        if (observer != null) {
            observer.close();
        }
        List<ChildProcess> children = fleet == null ? List.of() : fleet.children();
        if (fleet != null) {
            fleet.close();
        }
        for (ChildProcess child : children) {
            assertThat(child.isAlive()).as(child + " stopped").isFalse();
        }
    }

    private static RequestSpecification admin() {
        return given().auth().preemptive().basic("admin", "skeleton-admin");
    }

    @Test
    void oneReleaseTravelsFromBuildToARunningWorkstation() throws Exception {
        String agentId = fleet.agentIds().get(0).toLowerCase();

        // hop 1: the agent, its own process, registers over Kafka and the orchestrator records the machine
        CloudEvent<?> registered = awaitEvent(Topics.AGENT_EVENTS,
                e -> e.data() instanceof AgentRegistered r && r.agentId().equals(agentId));
        assertThat(registered.subject()).isEqualTo(agentId);
        await().atMost(HOP).untilAsserted(() -> admin().get("api/v1/machines").then().statusCode(200)
                .body("items.id", hasItem(agentId)));

        // a malformed record on fleet.agent-events lands in fleet.dead-letter ...
        var garbage = new ProducerRecord<String, byte[]>(Topics.AGENT_EVENTS, agentId,
                "{not json".getBytes(StandardCharsets.UTF_8));
        garbage.headers().add("ce_type", "io.wslfleet.agent.heartbeat.v1".getBytes(StandardCharsets.UTF_8));
        fleet.send(garbage);
        ConsumerRecord<String, byte[]> dead = awaitRecord(Topics.DEAD_LETTER,
                r -> "{not json".equals(new String(r.value(), StandardCharsets.UTF_8)));
        assertThat(header(dead, CloudEventHeaders.DLQ_ORIGIN_TOPIC)).isEqualTo(Topics.AGENT_EVENTS);
        assertThat(header(dead, CloudEventHeaders.DLQ_REASON)).isNotBlank();

        // ... and everything after it still flows. hop 2: the build worker packs a root directory and publishes
        String version = "25.05.7";
        fleet.requestDemoBuild(version, DemoRoot.Fault.NONE);
        ReleasePublished published = (ReleasePublished) awaitEvent(Topics.ARTIFACTS,
                e -> e.data() instanceof ReleasePublished p && p.version().equals(version)).data();
        byte[] artifact = given().get(published.downloadUrl()).then().statusCode(200)
                .extract().asByteArray();
        assertThat(artifact).hasSize((int) published.size());
        assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(artifact)))
                .isEqualTo(published.sha256());
        assertThat(published.signature()).isNotBlank();
        String systemPath = published.nixos().systemPath();
        assertThat(systemPath).startsWith("/nix/store/").contains("nixos-system-fleet-demo-" + version);

        // hop 3: the orchestrator records the release
        await().atMost(HOP).untilAsserted(() -> admin().get("api/v1/releases/" + published.releaseId())
                .then().statusCode(200).body("sha256", equalTo(published.sha256())));

        // hop 4: an operator creates and starts a rollout for the one machine
        long rolloutId = admin().contentType("application/json").body(Map.of(
                        "name", "skeleton", "releaseId", published.releaseId(),
                        "target", Map.of("machineIds", List.of(agentId)),
                        "canary", Map.of("count", 1), "start", true))
                .post("api/v1/rollouts").then().statusCode(201).extract().jsonPath().getLong("id");

        // hop 5: the orchestrator commands the agent to install the release
        InstallCommand install = (InstallCommand) awaitEvent(Topics.COMMANDS,
                e -> e.data() instanceof InstallCommand c && c.agentId().equals(agentId)).data();
        assertThat(install.release().sha256()).isEqualTo(published.sha256());
        assertThat(install.release().downloadUrl()).isEqualTo(published.downloadUrl());

        // hop 6: the agent downloads, checks, installs through wsl.exe, verifies and reports
        CommandResult result = (CommandResult) awaitEvent(Topics.AGENT_EVENTS,
                e -> e.data() instanceof CommandResult r && r.commandId().equals(install.commandId())).data();
        assertThat(result.outcome()).as(result.message()).isEqualTo(CommandOutcome.SUCCEEDED);
        assertThat(result.health().systemPath()).isEqualTo(systemPath);
        assertThat(result.health().systemState()).isEqualTo("running");

        // hop 7: the orchestrator marks the deployment SUCCEEDED and shows the machine on the release
        await().atMost(HOP).untilAsserted(() -> admin().get("api/v1/rollouts/" + rolloutId).then()
                .statusCode(200).body("state", equalTo("SUCCEEDED")));
        admin().get("api/v1/rollouts/" + rolloutId + "/deployments").then().statusCode(200)
                .body("items[0].machineId", equalTo(agentId)).body("items[0].state", equalTo("SUCCEEDED"));
        await().atMost(HOP).untilAsserted(() -> admin().queryParam("release", published.releaseId())
                .get("api/v1/machines").then().statusCode(200)
                .body("items.id", hasItem(agentId)));
        admin().get("api/v1/machines/" + agentId).then().statusCode(200)
                .body("currentReleaseId", equalTo(published.releaseId()))
                .body("currentSystemPath", equalTo(systemPath));

        // and the stand-in really has the distro: its root holds the release's system profile
        Path standInState = work.resolve("workstations/ws-001/wsl-state");
        try (var paths = Files.walk(standInState)) {
            assertThat(paths.anyMatch(p -> p.toString().endsWith(systemPath.substring(1))))
                    .as("release's store path unpacked under " + standInState).isTrue();
        }

        // Kafka's own console consumer, from the same broker jars, reads every topic of the skeleton with the ce_* headers
        String console = consoleConsumer();
        if (!console.contains("ce_type:")) {
            console = consoleConsumer(); // on a loaded machine the tool's first connection may outlast its idle timeout
        }
        assertThat(console)
                .contains("ce_type:io.wslfleet.build.requested.v1")    // fleet.build-requests
                .contains("ce_type:io.wslfleet.release.published.v1") // fleet.artifacts
                .contains("ce_type:io.wslfleet.distro.install.v1")     // fleet.commands
                .contains("ce_type:io.wslfleet.command.completed.v1")  // fleet.agent-events
                .contains("dlq_origin_topic:fleet.agent-events")       // fleet.dead-letter
                .contains("ce_specversion:1.0")
                .contains("\"sha256\":\"" + published.sha256() + "\"");

        // every record on the path carried the CloudEvents binary-mode headers
        for (ConsumerRecord<String, byte[]> r : seen) {
            if (!r.topic().equals(Topics.DEAD_LETTER) && r.value() != null) {
                if (EventDecoder.of(r.topic()).decode(r) instanceof Decoded.Event) {
                    assertThat(header(r, CloudEventHeaders.SPEC_VERSION)).isEqualTo(CloudEventHeaders.SPEC_VERSION_1_0);
                    assertThat(header(r, CloudEventHeaders.CONTENT_TYPE)).startsWith(CloudEventHeaders.JSON);
                }
            }
        }
    }

    /**
     * Runs {@code kafka-console-consumer} over all fleet topics, printing topic, headers, key and value, with the
     * admin client-properties file the sandbox wrote (over SASL_SSL, as an operator would).
     */
    private static String consoleConsumer() throws Exception {
        Path out = work.resolve("console-consumer.txt");
        Process p = new ProcessBuilder(ChildProcess.javaExecutable(), "-cp", System.getProperty("java.class.path"),
                "org.apache.kafka.tools.consumer.ConsoleConsumer",
                "--bootstrap-server", fleet.infra().kafkaBootstrap(),
                "--command-config", fleet.kafkaAdminProperties().toString(), "--include", "fleet\\..*",
                "--from-beginning", "--timeout-ms", "10000", // idle time: shorter than the gaps between heartbeats
                "--formatter-property", "print.headers=true", "--formatter-property", "print.key=true")
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        assertThat(p.waitFor(150, java.util.concurrent.TimeUnit.SECONDS)).as("console consumer finished").isTrue();
        return Files.readString(out);
    }

    private static String header(ConsumerRecord<String, byte[]> r, String name) {
        var h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static CloudEvent<?> awaitEvent(String topic, Predicate<CloudEvent<?>> match) {
        ConsumerRecord<String, byte[]> record = awaitRecord(topic, r -> decoded(r).filter(match).isPresent());
        return decoded(record).orElseThrow();
    }

    private static Optional<CloudEvent<?>> decoded(ConsumerRecord<String, byte[]> r) {
        Decoded d = EventDecoder.of(r.topic()).decode(r);
        return d instanceof Decoded.Event e ? Optional.of(e.event()) : Optional.empty();
    }

    private static ConsumerRecord<String, byte[]> awaitRecord(String topic,
                                                              Predicate<ConsumerRecord<String, byte[]>> match) {
        try {
            return await().atMost(HOP).pollInterval(Duration.ofMillis(200)).until(() -> seen.stream()
                    .filter(r -> r.topic().equals(topic)).filter(match).findFirst().orElse(null), r -> r != null);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            StringBuilder what = new StringBuilder("no matching record on " + topic + "; seen there:");
            seen.stream().filter(r -> r.topic().equals(topic)).forEach(r -> what.append("\n  ")
                    .append(header(r, CloudEventHeaders.TYPE)).append(' ')
                    .append(new String(r.value(), StandardCharsets.UTF_8), 0, Math.min(400, r.value().length)));
            throw new AssertionError(what.toString(), e);
        }
    }

    @Test
    void twoOrchestratorsSideBySideAndACrashMidRolloutLoseAndDuplicateNoCommand() throws Exception {
        List<String> machines = fleet.agentIds().subList(1, 3);
        fleet.awaitMachines(3, HOP);
        FleetApi second = fleet.startAnotherOrchestrator();
        String version = "25.05.8";
        fleet.requestDemoBuild(version, DemoRoot.Fault.NONE);
        ReleasePublished published = (ReleasePublished) awaitEvent(Topics.ARTIFACTS,
                e -> e.data() instanceof ReleasePublished p && p.version().equals(version)).data();
        await().atMost(HOP).untilAsserted(() -> admin().get("api/v1/releases/" + published.releaseId())
                .then().statusCode(200));
        long rolloutId = admin().contentType("application/json").body(Map.of(
                        "name", "restart", "releaseId", published.releaseId(),
                        "target", Map.of("machineIds", machines), "canary", Map.of("count", 1),
                        "waves", List.of(Map.of("count", 1)), "soakSeconds", 6, "start", true))
                .post("api/v1/rollouts").then().statusCode(201).extract().jsonPath().getLong("id");
        // the canary succeeded and the rollout soaks: the orchestrator dies without a chance to clean up
        await().atMost(HOP).untilAsserted(() -> admin().get("api/v1/rollouts/" + rolloutId).then()
                .body("waves[0].succeeded", equalTo(1)));
        fleet.restartOrchestrator(true);

        await().atMost(HOP).untilAsserted(() -> admin().get("api/v1/rollouts/" + rolloutId).then()
                .body("state", equalTo("SUCCEEDED")));
        assertThat(second.get("api/v1/rollouts/" + rolloutId).path("state").asText()).isEqualTo("SUCCEEDED");
        for (String machine : machines) {
            List<String> commandIds = seen.stream().filter(r -> r.topic().equals(Topics.COMMANDS))
                    .map(WalkingSkeletonTest::decoded).flatMap(Optional::stream)
                    .filter(e -> e.data() instanceof InstallCommand c && c.agentId().equals(machine)
                            && c.release().releaseId().equals(published.releaseId()))
                    .map(e -> ((InstallCommand) e.data()).commandId()).distinct().toList();
            assertThat(commandIds).as("commands to " + machine).hasSize(1);
            CommandResult result = (CommandResult) awaitEvent(Topics.AGENT_EVENTS,
                    e -> e.data() instanceof CommandResult r && r.commandId().equals(commandIds.get(0))).data();
            assertThat(result.outcome()).isEqualTo(CommandOutcome.SUCCEEDED);
        }
        admin().get("api/v1/rollouts/" + rolloutId + "/timeline").then().statusCode(200)
                .body("action", hasItem("SUCCEEDED"));
    }
}
