package io.wslfleet.orchestrator;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.wslfleet.orchestrator.support.FleetInfraResource;
import io.wslfleet.orchestrator.support.Fixtures;
import io.wslfleet.orchestrator.support.SimulatedFleet;
import io.wslfleet.orchestrator.support.SimulatedFleet.Behaviour;
import io.wslfleet.orchestrator.support.TestAgent;
import io.wslfleet.orchestrator.support.TestBus;
import io.wslfleet.protocol.CloudEvent;
import io.wslfleet.protocol.EventCodec;
import io.wslfleet.protocol.Topics;
import io.wslfleet.protocol.events.AgentHeartbeat;
import io.wslfleet.protocol.events.BuildRequested;
import io.wslfleet.protocol.events.CommandOutcome;
import io.wslfleet.protocol.events.CommandResult;
import io.wslfleet.protocol.events.Health;
import io.wslfleet.protocol.events.Inventory;
import io.wslfleet.protocol.events.AgentRegistered;
import io.wslfleet.protocol.events.ReleasePublished;
import io.wslfleet.protocol.trust.RecordSignatures;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static io.wslfleet.orchestrator.support.Fixtures.publishRelease;
import static io.wslfleet.orchestrator.support.Fixtures.systemPath;
import static io.wslfleet.orchestrator.support.Fixtures.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

/**
 * The forgeries of issue 11, tried on the real broker as an attacker with an agent's Kafka credentials would: each
 * is dead-lettered with its reason and changes nothing. And what the orchestrator publishes verifies with its key,
 * through a key rotation in the middle of a rollout.
 */
@QuarkusTest
@QuarkusTestResource(FleetInfraResource.class)
class ForgeryTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
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
    void asOperator() {
        RestAssured.authentication = RestAssured.preemptive().basic("operator", FleetInfraResource.OPERATOR_PASSWORD);
    }

    private static SimulatedFleet.Agent admitted(String prefix, Behaviour behaviour, String path,
                                                 Map<String, String> labels) {
        String id = unique(prefix) + "/dev";
        SimulatedFleet.Agent agent = fleet.add(id, behaviour, path, labels);
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/v1/machines/" + id).then()
                .body("enrolment", equalTo("ACCEPTED")).body("health", equalTo("healthy")));
        return agent;
    }

    @Test
    void aHeartbeatForAMachineSignedByAnotherMachinesKeyOrUnsignedChangesNothing() {
        String path = systemPath("24.11");
        SimulatedFleet.Agent victim = admitted("ws-001", Behaviour.HEALTHY, path, Map.of());
        SimulatedFleet.Agent other = admitted("ws-002", Behaviour.HEALTHY, path, Map.of());
        AgentHeartbeat forged = new AgentHeartbeat(victim.id, 1_000, new Health("NixOS", "degraded",
                List.of("forged.service"), 9, systemPath("foreign"), Instant.now()));

        // keyed to the victim, its source, signed by the other machine's key
        TestBus.send(RecordSignatures.sign(EventCodec.toRecord(CloudEvent.of(victim.identity.source(), forged)),
                other.identity.signer));
        // and without any signature
        TestBus.publishUnsigned(victim.identity.source(), forged.at(0, 1_001));

        assertThat(TestBus.awaitDeadLetterReasons(victim.id, 2)).containsExactly("UNAUTHENTICATED", "UNAUTHENTICATED");
        given().get("/api/v1/machines/" + victim.id).then().body("health", equalTo("healthy"))
                .body("failedUnits", equalTo(List.of())).body("currentSystemPath", equalTo(path));
    }

    @Test
    void aResultForAnotherMachinesCommandDoesNotSucceedTheRollout() {
        String group = unique("steal");
        ReleasePublished old = publishRelease(unique("24.11"));
        ReleasePublished release = publishRelease(unique("25.05-steal"));
        SimulatedFleet.Agent victim = admitted(group, Behaviour.SILENT, old.nixos().systemPath(), Map.of());
        SimulatedFleet.Agent attacker = admitted("attacker", Behaviour.HEALTHY, old.nixos().systemPath(), Map.of());
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/v1/releases/" + release.releaseId()).then()
                .statusCode(200));
        long id = given().contentType(ContentType.JSON).body("""
                {"name":"%s","releaseId":"%s","target":{"machineIds":["%s"]},"start":true}
                """.formatted(group, release.releaseId(), victim.id)).post("/api/v1/rollouts").then()
                .statusCode(201).extract().jsonPath().getLong("id");
        await().atMost(WAIT).until(() -> !victim.received.isEmpty());
        String commandId = victim.received.get(0).commandId();
        Health claimed = new Health("NixOS", "running", List.of(), 2, release.nixos().systemPath(), Instant.now());

        // the attacker answers the victim's command as itself, correctly signed with its own key
        fleet.emit(attacker, new CommandResult(attacker.id, attacker.next(), commandId, "upgrade",
                CommandOutcome.SUCCEEDED, null, "done", claimed, null, List.of(), null));
        assertThat(TestBus.awaitDeadLetterReasons(attacker.id, 1)).containsExactly("NOT_YOUR_COMMAND");
        // and as the victim, with its own key
        TestBus.send(RecordSignatures.sign(EventCodec.toRecord(CloudEvent.of(victim.identity.source(),
                new CommandResult(victim.id, 500, commandId, "upgrade", CommandOutcome.SUCCEEDED, null, "done",
                        claimed, null, List.of(), null))), attacker.identity.signer));
        assertThat(TestBus.awaitDeadLetterReasons(victim.id, 1)).containsExactly("UNAUTHENTICATED");

        given().get("/api/v1/rollouts/" + id).then().body("state", equalTo("RUNNING"));
        given().get("/api/v1/rollouts/" + id + "/deployments").then().body("items[0].state", equalTo("COMMANDED"));
        given().get("/api/v1/machines/" + victim.id).then().body("currentSystemPath",
                equalTo(old.nixos().systemPath()));
        given().header("X-Fleet-Request", "1").post("/api/v1/rollouts/" + id + "/cancel").then().statusCode(200);
    }

    @Test
    void aRegistrationFromAnotherSourceChangesNothing() {
        SimulatedFleet.Agent victim = admitted("ws-reg", Behaviour.HEALTHY, systemPath("24.11"),
                Map.of("team", "dev"));
        TestAgent attacker = new TestAgent(victim.id);
        String[] parts = victim.id.split("/");
        AgentRegistered forged = new AgentRegistered(victim.id, 0, 900, "evil", new Inventory(parts[0], parts[1],
                "EVIL-HOST", "10.0.26100", "2.4.11.0", "5.15", 1L << 30, Map.of("ring", "canary", "team", "finance"),
                List.of())).withIdentity(attacker.publicKey(), null);
        TestBus.send(RecordSignatures.sign(EventCodec.toRecord(CloudEvent.of("urn:attacker", forged)),
                attacker.signer));

        assertThat(TestBus.awaitDeadLetterReasons(victim.id, 1)).containsExactly("IDENTITY_MISMATCH");
        given().get("/api/v1/machines/" + victim.id).then().body("hostname", equalTo(parts[0].toUpperCase()))
                .body("ring", equalTo(null)).body("labels.team", equalTo("dev")).body("offeredKeyId", equalTo(null))
                .body("keyId", equalTo(victim.identity.signer.keyId()));
    }

    @Test
    void unsignedRegistrationsAndEventsOfUnknownMachinesCreateNoMachine() {
        String unsigned = unique("ghost") + "/dev";
        TestAgent ghost = new TestAgent(unsigned);
        TestBus.publishUnsigned(ghost.source(), ghost.registration(Map.of(), List.of(), null));
        String unknown = unique("ghost") + "/dev";
        TestAgent stranger = new TestAgent(unknown);
        stranger.send(new AgentHeartbeat(unknown, 1, new Health("NixOS", "running", List.of(), 1,
                systemPath("24.11"), Instant.now())));

        assertThat(TestBus.awaitDeadLetterReasons(unsigned, 1)).containsExactly("UNAUTHENTICATED");
        assertThat(TestBus.awaitDeadLetterReasons(unknown, 1)).containsExactly("NOT_ADMITTED");
        given().get("/api/v1/machines/" + unsigned).then().statusCode(404);
        given().get("/api/v1/machines/" + unknown).then().statusCode(404);
    }

    @Test
    void commandsAndBuildRequestsVerifyWithTheOrchestratorKeyThroughARotationMidRollout() {
        String group = unique("rotate");
        ReleasePublished old = publishRelease(unique("24.11"));
        ReleasePublished release = publishRelease(unique("25.05-rotate"));
        List<SimulatedFleet.Agent> agents = List.of(
                admitted(group, Behaviour.HEALTHY, old.nixos().systemPath(), Map.of("group", group)),
                admitted(group, Behaviour.HEALTHY, old.nixos().systemPath(), Map.of("group", group)),
                admitted(group, Behaviour.HEALTHY, old.nixos().systemPath(), Map.of("group", group)));
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/v1/releases/" + release.releaseId()).then()
                .statusCode(200));
        long id = given().contentType(ContentType.JSON).body("""
                {"name":"%s","releaseId":"%s","target":{"labels":{"group":"%s"}},"canary":{"count":1},
                 "waves":[{"percent":100}],"approvalRequired":true,"start":true}
                """.formatted(group, release.releaseId(), group)).post("/api/v1/rollouts").then().statusCode(201)
                .extract().jsonPath().getLong("id");
        given().header("X-Fleet-Request", "1").post("/api/v1/rollouts/" + id + "/approve").then().statusCode(200);
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/v1/rollouts/" + id).then()
                .body("currentWave", equalTo(1)).body("waitingFor", equalTo("APPROVAL")));
        String before = agents.stream().flatMap(a -> a.signedBy.stream()).findFirst().orElseThrow();

        // rotation: the new key is trusted by the agents first (Fixtures), then put last in the key file
        String newKey = unique("orchestrator-rotated");
        Fixtures.addOrchestratorKey(newKey);
        given().header("X-Fleet-Request", "1").post("/api/v1/rollouts/" + id + "/approve").then().statusCode(200);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> given().get("/api/v1/rollouts/" + id).then()
                .body("state", equalTo("SUCCEEDED")));

        assertThat(agents.stream().flatMap(a -> a.signedBy.stream()).toList()).containsExactlyInAnyOrder(before,
                newKey, newKey);
        assertThat(agents).allSatisfy(a -> assertThat(a.refused).isEmpty());
        // on the bus, each of them verifies with the orchestrator's public key of its key id
        List<ConsumerRecord<String, byte[]>> commands = TestBus.readAll(Topics.COMMANDS,
                r -> agents.stream().anyMatch(a -> a.id.equals(r.key())), Duration.ofSeconds(1));
        assertThat(commands).hasSize(3).allSatisfy(r -> assertThat(RecordSignatures.verify(r,
                Fixtures::orchestratorKey).verified()).isTrue());
        assertThat(commands).extracting(r -> RecordSignatures.keyId(r.headers()).orElseThrow())
                .containsExactlyInAnyOrder(before, newKey, newKey);

        // a build request is signed too, with the key now active
        String buildId = given().contentType(ContentType.JSON).body(Map.of("version", unique("26.1"),
                        "source", Map.of("kind", BuildRequested.SourceKind.UPSTREAM.name(),
                                "location", "https://example.invalid/nixos.wsl")))
                .post("/api/v1/builds").then().statusCode(202).extract().jsonPath().getString("id");
        await().atMost(WAIT).untilAsserted(() -> {
            List<ConsumerRecord<String, byte[]>> requests = TestBus.readAll(Topics.BUILD_REQUESTS,
                    r -> buildId.equals(r.key()), Duration.ofMillis(500));
            assertThat(requests).singleElement().satisfies(r -> assertThat(RecordSignatures.verify(r,
                    Fixtures::orchestratorKey)).isEqualTo(new RecordSignatures.Verification.Verified(newKey)));
        });
    }
}
