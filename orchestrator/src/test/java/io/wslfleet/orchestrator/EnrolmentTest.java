package io.wslfleet.orchestrator;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.wslfleet.orchestrator.audit.AuditEntry;
import io.wslfleet.orchestrator.support.FleetInfraResource;
import io.wslfleet.orchestrator.support.Fixtures;
import io.wslfleet.orchestrator.support.SimulatedFleet;
import io.wslfleet.orchestrator.support.SimulatedFleet.Behaviour;
import io.wslfleet.orchestrator.support.TestAgent;
import io.wslfleet.orchestrator.support.TestBus;
import io.wslfleet.protocol.events.AgentHeartbeat;
import io.wslfleet.protocol.events.Health;
import io.wslfleet.protocol.events.ReleasePublished;
import io.wslfleet.protocol.trust.TrustedKeys;
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
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

/**
 * Machines enter the fleet only when admitted: by an enrolment token an admin made, or by an operator accepting them
 * from the pending list; they can be rejected, revoked, re-keyed and decommissioned, each audited.
 */
@QuarkusTest
@QuarkusTestResource(FleetInfraResource.class)
class EnrolmentTest {
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

    private static void awaitEnrolment(String agent, String enrolment) {
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/v1/machines/" + agent).then().statusCode(200)
                .body("enrolment", equalTo(enrolment)));
    }

    private static List<String> auditActions(String agent) {
        return QuarkusTransaction.requiringNew().call(() -> AuditEntry.<AuditEntry>list(
                "entity = 'machine' and entityId = ?1 order by id", agent).stream()
                .map(e -> e.actor + " " + e.action + " " + e.after).toList());
    }

    private static String tokenId(String token) {
        return token.substring(0, token.indexOf('.'));
    }

    @Test
    void aMachineWithoutATokenStaysPendingIsNotTargetedAndGetsNoCommandUntilAccepted() {
        String group = unique("pending");
        ReleasePublished old = publishRelease(unique("24.11"));
        ReleasePublished release = publishRelease(unique("25.05-pending"));
        String admitted = group + "-000/dev";
        String pending = group + "-001/dev";
        fleet.add(admitted, Behaviour.HEALTHY, old.nixos().systemPath(), Map.of("group", group));
        SimulatedFleet.Agent waiting = fleet.add(pending, Behaviour.HEALTHY, old.nixos().systemPath(),
                Map.of("group", group), null);

        // its registration is kept for the operator to judge; its heartbeat changes nothing
        awaitEnrolment(pending, "PENDING");
        assertThat(TestBus.awaitDeadLetterReasons(pending, 1)).containsExactly("NOT_ADMITTED");
        given().get("/api/v1/machines/" + pending).then().body("hostname", equalTo(group.toUpperCase() + "-001"))
                .body("keyId", equalTo(TrustedKeys.fingerprint(waiting.identity.keys.getPublic())))
                .body("health", equalTo("unknown"));
        given().queryParam("enrolment", "PENDING").queryParam("label", "group=" + group).get("/api/v1/machines")
                .then().body("total", equalTo(1)).body("items[0].id", equalTo(pending));
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/v1/releases/" + release.releaseId()).then()
                .statusCode(200));
        awaitEnrolment(admitted, "ACCEPTED");

        // a rollout by label takes the admitted machine only; naming the pending one is refused
        given().contentType(ContentType.JSON).body(Map.of("name", group, "releaseId", release.releaseId(),
                        "target", Map.of("machineIds", List.of(pending))))
                .post("/api/v1/rollouts").then().statusCode(400)
                .body("errors[0].message", containsString("not admitted machines: " + pending));
        long id = given().contentType(ContentType.JSON).body("""
                {"name":"%s","releaseId":"%s","target":{"labels":{"group":"%s"}},"start":true}
                """.formatted(group, release.releaseId(), group)).post("/api/v1/rollouts").then().statusCode(201)
                .extract().jsonPath().getLong("id");
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> given().get("/api/v1/rollouts/" + id).then()
                .body("state", equalTo("SUCCEEDED")));
        given().get("/api/v1/rollouts/" + id + "/deployments").then().body("items.machineId",
                equalTo(List.of(admitted)));
        assertThat(waiting.received).isEmpty();
        assertThat(fleet.agent(admitted).received).hasSize(1);

        // accepted, it is heard
        given().header("X-Fleet-Request", "1").post("/api/v1/machines/" + pending + "/accept").then()
                .statusCode(200).body("enrolment", equalTo("ACCEPTED")).body("admittedBy", equalTo("operator"));
        fleet.emit(waiting, new AgentHeartbeat(pending, waiting.next(), new Health("NixOS", "running", List.of(), 1,
                old.nixos().systemPath(), Instant.now())));
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/v1/machines/" + pending).then()
                .body("health", equalTo("healthy")));
        assertThat(auditActions(pending)).anyMatch(a -> a.startsWith("operator ENROLMENT_ACCEPTED ACCEPTED"));
        // accepting twice is a conflict, as problem details
        given().header("X-Fleet-Request", "1").post("/api/v1/machines/" + pending + "/accept").then()
                .statusCode(409).contentType("application/problem+json");
    }

    @jakarta.inject.Inject
    io.wslfleet.orchestrator.bus.Outbox outbox;

    @Test
    void theRelayWithholdsACommandForAMachineNotAdmitted() {
        String agent = unique("withheld") + "/dev";
        SimulatedFleet.Agent waiting = fleet.add(agent, Behaviour.HEALTHY, systemPath("24.11"), Map.of(), null);
        awaitEnrolment(agent, "PENDING");
        String commandId = java.util.UUID.randomUUID().toString();
        QuarkusTransaction.requiringNew().run(() -> outbox.enqueue(new io.wslfleet.protocol.events.HealthCheckCommand(
                commandId, agent, "NixOS", Instant.now().plusSeconds(600))));

        await().atMost(WAIT).untilAsserted(() -> assertThat(QuarkusTransaction.requiringNew().call(() ->
                AuditEntry.getEntityManager().createNativeQuery("select withheld from outbox where msg_key = ?1 "
                        + "and sent_at is not null").setParameter(1, agent).getResultList())).containsExactly("NOT_ADMITTED"));
        assertThat(TestBus.readAll(io.wslfleet.protocol.Topics.COMMANDS, r -> agent.equals(r.key()),
                Duration.ofSeconds(1))).isEmpty();
        assertThat(waiting.received).isEmpty();
    }

    @Test
    void aValidTokenAdmitsAtOnceWithItsRingAndLabelsAndIsCountedOnce() {
        String token = Fixtures.createToken(Map.of("expiresIn", "PT1H", "maxUses", 1, "ring", "canary",
                "labels", Map.of("team", "platform")));
        String agent = unique("token") + "/dev";
        // the agent's own labels never override what the token granted
        fleet.add(agent, Behaviour.HEALTHY, systemPath("24.11"), Map.of("ring", "broad", "team", "mine",
                "site", "lyon"), token);

        awaitEnrolment(agent, "ACCEPTED");
        given().get("/api/v1/machines/" + agent).then().body("ring", equalTo("canary"))
                .body("labels.team", equalTo("platform")).body("labels.site", equalTo("lyon"))
                .body("admittedBy", equalTo("token:" + tokenId(token)));
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/v1/machines/" + agent).then()
                .body("health", equalTo("healthy")));
        assertThat(auditActions(agent)).anyMatch(a -> a.startsWith("token:" + tokenId(token)
                + " ENROLMENT_ACCEPTED ACCEPTED by enrolment token"));

        // listed without its secret, used up
        String secret = token.substring(token.indexOf('.') + 1);
        given().auth().preemptive().basic("admin", FleetInfraResource.ADMIN_PASSWORD).get("/api/v1/enrolment-tokens")
                .then().statusCode(200).body(not(containsString(secret)))
                .body("find { it.id == '" + tokenId(token) + "' }.uses", equalTo(1))
                .body("find { it.id == '" + tokenId(token) + "' }.state", equalTo("USED_UP"));

        // the spent token admits nobody else
        String second = unique("spent") + "/dev";
        fleet.add(second, Behaviour.HEALTHY, systemPath("24.11"), Map.of(), token);
        awaitEnrolment(second, "PENDING");
        await().atMost(WAIT).untilAsserted(() -> assertThat(auditActions(second))
                .anyMatch(a -> a.contains("REFUSED ENROLMENT_TOKEN_REFUSED") && a.contains("used up")));
    }

    @Test
    void anExpiredRevokedOrWrongTokenLeavesTheMachinePending() {
        String expired = Fixtures.createToken(Map.of("expiresIn", "PT1H", "maxUses", 5));
        QuarkusTransaction.requiringNew().run(() -> AuditEntry.getEntityManager().createNativeQuery(
                        "update enrolment_token set expires_at = now() - interval '1 minute' where id = ?1")
                .setParameter(1, tokenId(expired)).executeUpdate());
        String revoked = Fixtures.createToken(Map.of("expiresIn", "PT1H", "maxUses", 5));
        given().auth().preemptive().basic("admin", FleetInfraResource.ADMIN_PASSWORD)
                .header("X-Fleet-Request", "1").post("/api/v1/enrolment-tokens/" + tokenId(revoked) + "/revoke")
                .then().statusCode(200).body("state", equalTo("REVOKED"));
        String valid = Fixtures.createToken(Map.of("expiresIn", "PT1H", "maxUses", 5));
        String wrongSecret = tokenId(valid) + "." + "A".repeat(43);

        Map<String, String> cases = Map.of("expired at", expired, "revoked at", revoked, "wrong secret", wrongSecret);
        cases.forEach((why, token) -> {
            String agent = unique("badtoken") + "/dev";
            fleet.add(agent, Behaviour.HEALTHY, systemPath("24.11"), Map.of(), token);
            awaitEnrolment(agent, "PENDING");
            await().atMost(WAIT).untilAsserted(() -> assertThat(auditActions(agent))
                    .anyMatch(a -> a.contains("REFUSED ENROLMENT_TOKEN_REFUSED") && a.contains(why)));
        });
        // the wrong secret used nothing of the valid token
        given().auth().preemptive().basic("admin", FleetInfraResource.ADMIN_PASSWORD).get("/api/v1/enrolment-tokens")
                .then().body("find { it.id == '" + tokenId(valid) + "' }.uses", equalTo(0));
    }

    @Test
    void onlyAnAdminMakesTokensAndABadRequestIsProblemDetails() {
        given().contentType(ContentType.JSON).body(Map.of("expiresIn", "PT1H")).post("/api/v1/enrolment-tokens")
                .then().statusCode(403).contentType("application/problem+json");
        given().auth().preemptive().basic("admin", FleetInfraResource.ADMIN_PASSWORD).contentType(ContentType.JSON)
                .body(Map.of("expiresIn", "soon", "maxUses", 0)).post("/api/v1/enrolment-tokens").then()
                .statusCode(400).contentType("application/problem+json")
                .body("errors.field", equalTo(List.of("expiresIn", "maxUses")));
    }

    @Test
    void aRejectedMachineIsNotHeard() {
        String agent = unique("reject") + "/dev";
        SimulatedFleet.Agent a = fleet.add(agent, Behaviour.HEALTHY, systemPath("24.11"), Map.of(), null);
        awaitEnrolment(agent, "PENDING");
        given().header("X-Fleet-Request", "1").post("/api/v1/machines/" + agent + "/reject").then().statusCode(200)
                .body("enrolment", equalTo("REJECTED"));
        fleet.emit(a, a.identity.registration(Map.of("ring", "canary"), List.of(), null));
        assertThat(TestBus.awaitDeadLetterReasons(agent, 2)).containsExactly("NOT_ADMITTED", "NOT_ADMITTED");
        given().get("/api/v1/machines/" + agent).then().body("enrolment", equalTo("REJECTED"))
                .body("ring", equalTo(null));
        assertThat(auditActions(agent)).anyMatch(a2 -> a2.startsWith("operator ENROLMENT_REJECTED REJECTED"));
    }

    @Test
    void revokingCancelsItsUnfinishedDeploymentsAndCutsItOff() {
        String group = unique("revoke");
        ReleasePublished old = publishRelease(unique("24.11"));
        ReleasePublished release = publishRelease(unique("25.05-revoke"));
        String agent = group + "-000/dev";
        SimulatedFleet.Agent silent = fleet.add(agent, Behaviour.SILENT, old.nixos().systemPath(),
                Map.of("group", group));
        awaitEnrolment(agent, "ACCEPTED");
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/v1/releases/" + release.releaseId()).then()
                .statusCode(200));
        long id = given().contentType(ContentType.JSON).body("""
                {"name":"%s","releaseId":"%s","target":{"machineIds":["%s"]},"start":true}
                """.formatted(group, release.releaseId(), agent)).post("/api/v1/rollouts").then().statusCode(201)
                .extract().jsonPath().getLong("id");
        await().atMost(WAIT).until(() -> !silent.received.isEmpty());

        given().header("X-Fleet-Request", "1").post("/api/v1/machines/" + agent + "/revoke").then().statusCode(200)
                .body("enrolment", equalTo("REVOKED"));
        given().get("/api/v1/rollouts/" + id + "/deployments").then().body("items[0].state", equalTo("CANCELLED"));
        assertThat(auditActions(agent)).anyMatch(a -> a.startsWith("operator ENROLMENT_REVOKED REVOKED")
                && a.contains("1 unfinished deployments cancelled"));

        // cut off: its events are refused, whatever they claim
        fleet.emit(silent, new AgentHeartbeat(agent, silent.next(), new Health("NixOS", "degraded",
                List.of("x.service"), 1, old.nixos().systemPath(), Instant.now())));
        assertThat(TestBus.awaitDeadLetterReasons(agent, 1)).containsExactly("NOT_ADMITTED");
        given().get("/api/v1/machines/" + agent).then().body("failedUnits", equalTo(List.of()));
    }

    @Test
    void aNewKeyIsOnlyOfferedUntilAnOperatorReKeysAndADecommissionedMachineStartsOver() {
        String agent = unique("rekey") + "/dev";
        SimulatedFleet.Agent a = fleet.add(agent, Behaviour.HEALTHY, systemPath("24.11"), Map.of("site", "lyon"));
        awaitEnrolment(agent, "ACCEPTED");
        String oldKey = a.identity.signer.keyId();

        // the agent was reinstalled: a new key pair, a new epoch
        TestAgent reinstalled = new TestAgent(agent);
        long epoch = Instant.now().toEpochMilli();
        reinstalled.send(reinstalled.registration(Map.of("site", "paris"), List.of(), null).at(epoch, 1));
        reinstalled.send(new AgentHeartbeat(agent, epoch, 2, new Health("NixOS", "degraded", List.of("y.service"), 1,
                systemPath("24.11"), Instant.now())));
        assertThat(TestBus.awaitDeadLetterReasons(agent, 2)).containsExactly("UNAUTHENTICATED", "UNAUTHENTICATED");
        given().get("/api/v1/machines/" + agent).then().body("keyId", equalTo(oldKey))
                .body("offeredKeyId", equalTo(reinstalled.signer.keyId())).body("labels.site", equalTo("lyon"))
                .body("health", equalTo("healthy"));

        given().header("X-Fleet-Request", "1").post("/api/v1/machines/" + agent + "/rekey").then().statusCode(200)
                .body("keyId", equalTo(reinstalled.signer.keyId())).body("offeredKeyId", equalTo(null))
                .body("enrolment", equalTo("ACCEPTED"));
        reinstalled.send(new AgentHeartbeat(agent, epoch, 3, new Health("NixOS", "degraded", List.of("z.service"), 1,
                systemPath("24.11"), Instant.now())));
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/v1/machines/" + agent).then()
                .body("failedUnits", equalTo(List.of("z.service"))));
        // the old key is no longer believed
        fleet.emit(a, new AgentHeartbeat(agent, epoch, 10, new Health("NixOS", "running", List.of(), 1,
                systemPath("24.11"), Instant.now())));
        assertThat(TestBus.awaitDeadLetterReasons(agent, 3)).last().isEqualTo("UNAUTHENTICATED");
        assertThat(auditActions(agent)).anyMatch(x -> x.contains("KEY_OFFERED"))
                .anyMatch(x -> x.startsWith("operator ENROLMENT_REKEYED " + reinstalled.signer.keyId()));

        // decommissioned: gone from the fleet, kept for its history; a later registration starts over, pending
        given().header("X-Fleet-Request", "1").post("/api/v1/machines/" + agent + "/decommission").then()
                .statusCode(200).body("enrolment", equalTo("DECOMMISSIONED"));
        given().queryParam("q", agent).get("/api/v1/machines").then().body("total", equalTo(0));
        given().queryParam("q", agent).queryParam("enrolment", "DECOMMISSIONED").get("/api/v1/machines").then()
                .body("total", equalTo(1));
        TestAgent anew = new TestAgent(agent);
        anew.send(anew.registration(Map.of(), List.of(), null).at(Instant.now().toEpochMilli(), 1));
        await().atMost(WAIT).untilAsserted(() -> given().get("/api/v1/machines/" + agent).then()
                .body("enrolment", equalTo("PENDING")).body("keyId", equalTo(anew.signer.keyId()))
                .body("labels", equalTo(Map.of())));
        assertThat(auditActions(agent)).anyMatch(x -> x.startsWith("operator ENROLMENT_DECOMMISSIONED DECOMMISSIONED"));
    }
}
