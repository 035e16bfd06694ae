package io.wslfleet.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import io.wslfleet.buildworker.DemoRoot;
import io.wslfleet.protocol.CloudEvent;
import io.wslfleet.protocol.CloudEventHeaders;
import io.wslfleet.protocol.Decoded;
import io.wslfleet.protocol.EventCodec;
import io.wslfleet.protocol.EventDecoder;
import io.wslfleet.protocol.RejectReason;
import io.wslfleet.protocol.Topics;
import io.wslfleet.protocol.events.AgentHeartbeat;
import io.wslfleet.protocol.events.AgentRegistered;
import io.wslfleet.protocol.events.BuildFailed;
import io.wslfleet.protocol.events.BuildRequested;
import io.wslfleet.protocol.events.CommandOutcome;
import io.wslfleet.protocol.events.CommandRefused;
import io.wslfleet.protocol.events.CommandResult;
import io.wslfleet.protocol.events.EventData;
import io.wslfleet.protocol.events.Health;
import io.wslfleet.protocol.events.Inventory;
import io.wslfleet.protocol.events.RollbackCommand;
import io.wslfleet.protocol.release.Ed25519;
import io.wslfleet.protocol.trust.RecordSignatures;
import io.wslfleet.protocol.trust.Signer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Identity and trust end to end, with real agent processes, the build worker and the packaged orchestrator on the
 * secured broker: every machine is a possible attacker, holding its own key and the shared agent principal. Each
 * forgery is tried as a hostile workstation (or anyone on the bus) would and asserted by the state before and after
 * and its dead-letter record; enrolment by token and by an operator, revocation, and the rotation of the
 * orchestrator's command key and of the build key in the middle of a rollout.
 */
class TrustTest {
    private static final Duration WAIT = Duration.ofSeconds(120);

    @TempDir
    static Path work;
    static LocalFleet fleet;
    static BusObserver observer;
    static List<ConsumerRecord<String, byte[]>> seen;
    static String releaseId;

    @BeforeAll
    static void startFleet() {
        Path jar = Path.of(System.getProperty("fleet.orchestrator.jar",
                "../../orchestrator/target/quarkus-app/quarkus-run.jar"));
        fleet = LocalFleet.start(new LocalFleet.Options(work, 3, 0, jar, "trust-admin", System.getenv()),
                line -> System.out.println("[sandbox] " + line));
        observer = new BusObserver(fleet, "trust-observer", Topics.ALL);
        seen = observer.seen();
        fleet.awaitMachines(3, WAIT);
        fleet.requestDemoBuild("25.05.30", DemoRoot.Fault.NONE);
        releaseId = fleet.awaitRelease("rel-25.05.30", WAIT).path("id").asText();
    }

    @AfterAll
    static void stopFleet() throws Exception {
        if (observer != null) {
            observer.close();
        }
        if (fleet != null) {
            fleet.close();
        }
    }

    @Test
    void anAgentWithoutATokenStaysPendingGetsNoCommandAndWorksOnceAnOperatorAcceptsIt() {
        String pending = fleet.startWorkstation("ws-101", "broad", false);
        JsonNode entry = await().atMost(WAIT).until(() -> machine(pending), m -> m.isPresent()).orElseThrow();
        assertThat(entry.path("enrolment").asText()).isEqualTo("PENDING");
        assertThat(fleet.api().get("api/v1/machines?enrolment=PENDING").toString()).contains(pending);

        // a rollout to the whole fleet does not reach it, and naming it is refused
        long all = rollout("to everyone", Map.of("all", true));
        await().atMost(WAIT).until(() -> state(all).equals("SUCCEEDED"));
        assertThat(fleet.api().get("api/v1/rollouts/" + all + "/deployments?size=500").toString()).doesNotContain(pending);
        assertThat(fleet.api().postStatus("api/v1/rollouts", rolloutBody("to the pending one",
                Map.of("machineIds", List.of(pending))))).isEqualTo(400);
        assertThat(seen.stream().filter(r -> r.topic().equals(Topics.COMMANDS)).map(ConsumerRecord::key))
                .doesNotContain(pending);

        // an operator accepts it: from then on it is a machine of the fleet like any other
        assertThat(fleet.api().post("api/v1/machines/" + pending + "/accept", Map.of()).path("enrolment").asText())
                .isEqualTo("ACCEPTED");
        long mine = rollout("to the accepted one", Map.of("machineIds", List.of(pending)));
        await().atMost(WAIT).until(() -> state(mine).equals("SUCCEEDED"));
        assertThat(machine(pending).orElseThrow().path("currentReleaseId").asText()).isEqualTo(releaseId);
    }

    @Test
    void forgeriesByAHostileWorkstationAndByAnyoneOnTheBusChangeNothing() throws Exception {
        String victim = "ws-001/dev";
        String hostile = "ws-002/dev";
        Signer hostileKey = agentSigner("ws-002");

        // a command in flight for the victim: its agent is stopped (the laptop is shut), so it stays COMMANDED
        fleet.requestDemoBuild("25.05.32", DemoRoot.Fault.NONE);
        String newer = fleet.awaitRelease("rel-25.05.32", WAIT).path("id").asText();
        fleet.stopAgent("ws-001");
        Map<String, Object> body = rolloutBody("victim", Map.of("machineIds", List.of(victim)));
        body.put("releaseId", newer);
        long rollout = fleet.api().post("api/v1/rollouts", body).path("id").asLong();
        String commandId = await().atMost(WAIT).until(() -> commandOf(rollout), Optional::isPresent).orElseThrow();
        JsonNode victimBefore = machine(victim).orElseThrow();

        // a result for the victim's command: from the hostile machine (signed by its own key), as the victim but
        // signed by the hostile key, and from a machine nobody enrolled
        Health claimed = new Health("NixOS", "running", List.of(), 9, "/nix/store/" + "f".repeat(32)
                + "-nixos-system-forged", Instant.now());
        expectDeadLetter(signedAgentEvent(hostileKey, new CommandResult(hostile, epochOf(hostile), 1_000_000 - 1,
                commandId, "install", CommandOutcome.SUCCEEDED, null, "forged", claimed, null, List.of(), null)),
                RejectReason.NOT_YOUR_COMMAND);
        expectDeadLetter(signedAgentEvent(hostileKey, new CommandResult(victim, epochOf(victim), 999_999, commandId,
                "install", CommandOutcome.SUCCEEDED, null, "forged", claimed, null, List.of(), null)),
                RejectReason.UNAUTHENTICATED);
        KeyPair ghost = Ed25519.generate();
        expectDeadLetter(signedAgentEvent(Signer.ofPair(ghost), new CommandResult("ghost-7/dev", 1, 5, commandId,
                "install", CommandOutcome.SUCCEEDED, null, "forged", claimed, null, List.of(), null)),
                RejectReason.NOT_ADMITTED);
        // a heartbeat for the victim signed by the hostile key, and one with a failed unit keyed to the hostile
        // machine but naming the victim in its data
        expectDeadLetter(signedAgentEvent(hostileKey, new AgentHeartbeat(victim, epochOf(victim), 999_998,
                new Health("NixOS", "degraded", List.of("forged.service"), 1, null, Instant.now()))),
                RejectReason.UNAUTHENTICATED);
        // a registration of the hostile machine from another source, claiming a ring and labels
        ProducerRecord<String, byte[]> otherSource = RecordSignatures.sign(EventCodec.toRecord(CloudEvent.of(
                "urn:attacker", new AgentRegistered(hostile, epochOf(hostile), 999_997, "evil",
                        new Inventory("ws-002", "dev", "EVIL", "10", "2.4", "5.15", 1L, Map.of("ring", "canary",
                                "team", "finance"), List.of())).withIdentity(Ed25519.encode(ghost.getPublic()), null))),
                hostileKey);
        expectDeadLetter(otherSource, RejectReason.IDENTITY_MISMATCH);

        assertThat(state(rollout)).isIn("RUNNING");
        assertThat(deployment(rollout).path("state").asText()).isEqualTo("COMMANDED");
        JsonNode victimAfter = machine(victim).orElseThrow();
        assertThat(victimAfter.path("failedUnits").toString()).doesNotContain("forged");
        assertThat(victimAfter.path("currentSystemPath")).isEqualTo(victimBefore.path("currentSystemPath"));
        JsonNode hostileAfter = machine(hostile).orElseThrow();
        assertThat(hostileAfter.path("hostname").asText()).isNotEqualTo("EVIL");
        assertThat(hostileAfter.path("labels").toString()).doesNotContain("finance");
        assertThat(fleet.api().get("api/v1/machines?size=500").toString()).doesNotContain("ghost-7");

        // the victim comes back: its own agent finishes the rollout
        fleet.restartAgent("ws-001");
        await().atMost(WAIT).until(() -> state(rollout).equals("SUCCEEDED"));

        // commands to an agent: unsigned, and signed by a key it does not trust. It runs neither, dead-letters
        // both and says so in a command.refused event, which changes no deployment
        JsonNode hostileBefore = machine(hostile).orElseThrow();
        RollbackCommand rollback = new RollbackCommand("forged-rollback-1", hostile, "NixOS", 1, "attacker",
                Instant.now().plusSeconds(600));
        RecordMetadata unsigned = fleet.sendAndAwait(EventCodec.toRecord(CloudEvent.of("urn:attacker", rollback)));
        RecordMetadata untrusted = fleet.sendAndAwait(RecordSignatures.sign(EventCodec.toRecord(CloudEvent.of(
                "urn:attacker", new RollbackCommand("forged-rollback-2", hostile, "NixOS", 1, "attacker",
                        Instant.now().plusSeconds(600)))), new Signer("attacker", Ed25519.generate().getPrivate())));
        awaitDeadLetter(Topics.COMMANDS, unsigned, RejectReason.UNAUTHENTICATED);
        awaitDeadLetter(Topics.COMMANDS, untrusted, RejectReason.UNAUTHENTICATED);
        for (String id : List.of("forged-rollback-1", "forged-rollback-2")) {
            CommandRefused refused = (CommandRefused) awaitEvent(Topics.AGENT_EVENTS,
                    d -> d instanceof CommandRefused r && id.equals(r.commandId()));
            assertThat(refused.reason()).isEqualTo(RejectReason.UNAUTHENTICATED);
            assertThat(seen.stream().filter(r -> r.topic().equals(Topics.AGENT_EVENTS)).map(TrustTest::decoded)
                    .flatMap(Optional::stream).anyMatch(d -> d instanceof CommandResult c && c.commandId().equals(id)))
                    .as("no result for %s: nothing ran", id).isFalse();
        }
        assertThat(machine(hostile).orElseThrow().path("currentGeneration"))
                .isEqualTo(hostileBefore.path("currentGeneration"));

        // releases and build events from anyone but the build worker's key
        ProducerRecord<String, byte[]> forgedFailure = RecordSignatures.sign(EventCodec.toRecord(CloudEvent.of(
                "urn:attacker", new BuildFailed(buildOf(releaseId), "FORGED", "attacker"))),
                new Signer(LocalFleet.KEY_ID, Ed25519.generate().getPrivate()));
        expectDeadLetter(forgedFailure, RejectReason.UNAUTHENTICATED);
        assertThat(fleet.api().get("api/v1/builds/" + buildOf(releaseId)).path("state").asText()).isEqualTo("PUBLISHED");

        // a build request straight on the bus, not signed by the orchestrator: the build worker builds nothing
        BuildRequested request = new BuildRequested("forged-build-1", "66.6.6", new BuildRequested.Source(
                BuildRequested.SourceKind.ROOT_DIRECTORY, work.toString(), null, null), null, "attacker");
        RecordMetadata forgedBuild = fleet.sendAndAwait(EventCodec.toRecord(CloudEvent.of("urn:attacker", request)));
        awaitDeadLetter(Topics.BUILD_REQUESTS, forgedBuild, RejectReason.UNAUTHENTICATED);
        assertThat(seen.stream().filter(r -> r.topic().equals(Topics.ARTIFACTS)).map(ConsumerRecord::key))
                .doesNotContain("forged-build-1");
    }

    @Test
    void aRevokedMachineIsCutOff() {
        String revoked = "ws-003/dev";
        assertThat(fleet.api().post("api/v1/machines/" + revoked + "/revoke", Map.of()).path("enrolment").asText())
                .isEqualTo("REVOKED");
        // its agent keeps heartbeating (every 15 s): each one is dead-lettered, nothing of it is believed
        long since = System.currentTimeMillis();
        await().atMost(WAIT).until(() -> seen.stream().filter(r -> r.topic().equals(Topics.DEAD_LETTER))
                .filter(r -> r.timestamp() > since).filter(r -> revoked.equals(r.key()))
                .anyMatch(r -> RejectReason.NOT_ADMITTED.name().equals(header(r, CloudEventHeaders.DLQ_REASON))));
        assertThat(fleet.api().postStatus("api/v1/rollouts", rolloutBody("to the revoked one",
                Map.of("machineIds", List.of(revoked))))).isEqualTo(400);
    }

    @Test
    void theCommandKeyAndTheBuildKeyRotateMidRolloutWithoutAFailedMachine() {
        List<String> machines = List.of(fleet.startWorkstation("ws-201", "broad", true),
                fleet.startWorkstation("ws-202", "broad", true));
        await().atMost(WAIT).until(() -> machines.stream().allMatch(m -> machine(m)
                .map(v -> v.path("enrolment").asText().equals("ACCEPTED")).orElse(false)));

        // a rollout of a release signed with the first build key, canary then the rest; once the canary succeeded,
        // both keys rotate: the orchestrator's command key (its key file gets the next key) and the build key (the
        // worker restarts with the next one). The second wave's commands carry the new command key, and its release,
        // signed with the old build key, still verifies: the old key stays trusted until no release of it is left
        Map<String, Object> body = rolloutBody("rotation", Map.of("machineIds", machines));
        body.put("soakSeconds", 25); // the build worker restarts with its new key before the next wave downloads
        long id = fleet.api().post("api/v1/rollouts", body).path("id").asLong();
        await().atMost(WAIT).until(() -> fleet.api().get("api/v1/rollouts/" + id).path("waves").get(0)
                .path("succeeded").asInt() == 1);
        fleet.rotateOrchestratorKey();
        fleet.rotateBuildKey();
        await().atMost(WAIT).until(() -> Set.of("SUCCEEDED", "HALTED", "ROLLED_BACK").contains(state(id)));
        assertThat(state(id)).isEqualTo("SUCCEEDED");
        List<String> keysOfCommands = seen.stream().filter(r -> r.topic().equals(Topics.COMMANDS))
                .filter(r -> machines.contains(r.key()))
                .map(r -> RecordSignatures.keyId(r.headers()).orElse("none")).distinct().toList();
        assertThat(keysOfCommands).containsExactlyInAnyOrder(LocalFleet.ORCHESTRATOR_KEY_ID,
                LocalFleet.NEXT_ORCHESTRATOR_KEY_ID);

        // the next release is signed with the new build key, and installs as well
        fleet.requestDemoBuild("25.05.31", DemoRoot.Fault.NONE);
        String rotatedRelease = fleet.awaitRelease("rel-25.05.31", WAIT).path("id").asText();
        assertThat(fleet.api().get("api/v1/releases/" + rotatedRelease).path("keyId").asText())
                .isEqualTo(LocalFleet.NEXT_BUILD_KEY_ID);
        Map<String, Object> next = rolloutBody("after rotation", Map.of("machineIds", machines));
        next.put("releaseId", rotatedRelease);
        long after = fleet.api().post("api/v1/rollouts", next).path("id").asLong();
        await().atMost(WAIT).until(() -> Set.of("SUCCEEDED", "HALTED", "ROLLED_BACK").contains(state(after)));
        assertThat(state(after)).isEqualTo("SUCCEEDED");
        assertThat(seen.stream().filter(r -> r.topic().equals(Topics.AGENT_EVENTS)).map(TrustTest::decoded)
                .flatMap(Optional::stream).filter(d -> d instanceof CommandRefused r && machines.contains(r.agentId())))
                .as("no command refused during the rotation").isEmpty();
    }

    // --- helpers --------------------------------------------------------------------------------------------------

    private static Map<String, Object> rolloutBody(String name, Map<String, Object> target) {
        Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("name", name);
        body.put("releaseId", releaseId);
        body.put("target", target);
        body.put("canary", Map.of("count", 1));
        body.put("waves", List.of(Map.of("percent", 100)));
        body.put("soakSeconds", 1);
        body.put("deadlineSeconds", 300);
        body.put("start", true);
        return body;
    }

    private static long rollout(String name, Map<String, Object> target) {
        return fleet.api().post("api/v1/rollouts", rolloutBody(name, target)).path("id").asLong();
    }

    private static String state(long rollout) {
        return fleet.api().get("api/v1/rollouts/" + rollout).path("state").asText();
    }

    private static JsonNode deployment(long rollout) {
        return fleet.api().get("api/v1/rollouts/" + rollout + "/deployments").path("items").get(0);
    }

    private static Optional<String> commandOf(long rollout) {
        JsonNode d = deployment(rollout);
        return d == null || d.path("commandId").isNull() || d.path("commandId").asText().isEmpty()
                ? Optional.empty() : Optional.of(d.path("commandId").asText());
    }

    private static Optional<JsonNode> machine(String agentId) {
        try {
            return Optional.of(fleet.api().get("api/v1/machines/" + agentId));
        } catch (IllegalStateException notThere) {
            return Optional.empty();
        }
    }

    private static String buildOf(String release) {
        return fleet.api().get("api/v1/releases/" + release).path("buildId").asText();
    }

    /** The key a workstation's agent made at its first start: what a hostile user of that workstation holds. */
    private static Signer agentSigner(String machineId) throws Exception {
        Path state = fleet.agentStateDir(machineId);
        String privateKey = Files.readString(state.resolve("identity.key"), StandardCharsets.UTF_8).trim();
        String publicKey = Files.readString(state.resolve("identity.pub"), StandardCharsets.UTF_8).trim();
        return new Signer(io.wslfleet.protocol.trust.TrustedKeys.fingerprint(publicKey), Ed25519.privateKey(privateKey));
    }

    /** The epoch the machine's agent signs with: from its last event on the bus. */
    private static long epochOf(String agentId) {
        return seen.stream().filter(r -> r.topic().equals(Topics.AGENT_EVENTS) && agentId.equals(r.key()))
                .map(TrustTest::decoded).flatMap(Optional::stream)
                .filter(d -> d instanceof io.wslfleet.protocol.events.AgentEvent)
                .mapToLong(d -> ((io.wslfleet.protocol.events.AgentEvent) d).epoch()).max().orElse(1);
    }

    private static ProducerRecord<String, byte[]> signedAgentEvent(Signer signer, EventData data) {
        return RecordSignatures.sign(EventCodec.toRecord(CloudEvent.of("urn:wsl-fleet:agent:" + data.key(), data)),
                signer);
    }

    private static void expectDeadLetter(ProducerRecord<String, byte[]> record, RejectReason reason) {
        RecordMetadata at = fleet.sendAndAwait(record);
        awaitDeadLetter(record.topic(), at, reason);
    }

    private static void awaitDeadLetter(String topic, RecordMetadata at, RejectReason reason) {
        ConsumerRecord<String, byte[]> dead = await().atMost(WAIT).pollInterval(Duration.ofMillis(200))
                .until(() -> seen.stream().filter(r -> r.topic().equals(Topics.DEAD_LETTER))
                        .filter(r -> topic.equals(header(r, CloudEventHeaders.DLQ_ORIGIN_TOPIC)))
                        .filter(r -> String.valueOf(at.partition()).equals(header(r, CloudEventHeaders.DLQ_ORIGIN_PARTITION)))
                        .filter(r -> String.valueOf(at.offset()).equals(header(r, CloudEventHeaders.DLQ_ORIGIN_OFFSET)))
                        .findFirst().orElse(null), r -> r != null);
        assertThat(header(dead, CloudEventHeaders.DLQ_REASON)).as(header(dead, CloudEventHeaders.DLQ_DETAIL))
                .isEqualTo(reason.name());
    }

    private static EventData awaitEvent(String topic, Predicate<EventData> match) {
        return await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> seen.stream()
                .filter(r -> r.topic().equals(topic)).map(TrustTest::decoded).flatMap(Optional::stream)
                .filter(match).findFirst().orElse(null), d -> d != null);
    }

    private static Optional<EventData> decoded(ConsumerRecord<String, byte[]> r) {
        Decoded d = EventDecoder.of(r.topic()).decode(r);
        return d instanceof Decoded.Event e ? Optional.of(e.event().data()) : Optional.empty();
    }

    private static String header(ConsumerRecord<String, byte[]> r, String name) {
        var h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
