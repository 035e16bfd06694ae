package io.wslfleet.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.IntFunction;
import java.util.function.Predicate;

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
import io.wslfleet.protocol.events.CommandResult;
import io.wslfleet.protocol.events.EventData;
import io.wslfleet.protocol.events.Health;
import io.wslfleet.protocol.events.HealthCheckCommand;
import io.wslfleet.protocol.events.Inventory;
import io.wslfleet.protocol.events.NixosMetadata;
import io.wslfleet.protocol.events.ReleasePublished;
import io.wslfleet.protocol.release.ReleaseManifest;
import io.wslfleet.protocol.release.SignedManifest;
import io.wslfleet.protocol.release.Ed25519;
import io.wslfleet.protocol.testing.BadRecords;
import io.wslfleet.protocol.trust.RecordSignatures;
import io.wslfleet.protocol.trust.Signer;
import io.wslfleet.protocol.testing.Mutations;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No record can stop the fleet. Against every program running as its own process (orchestrator, build worker, one
 * windows agent) on the real broker and database, every consumed topic gets the table of bad records
 * ({@link BadRecords}: one class of defect per case) and seeded random mutations ({@link Mutations}), each followed
 * at once by a good event. Asserted per record: its dead-letter copy with the expected reason (found by its origin
 * topic and offset), and the good event after it applied; per topic, {@code /q/health} UP and every process alive;
 * at the end, a fresh orchestrator instance becomes ready and applies new events. Every record is signed by the
 * key its topic's consumer trusts (a hostile producer holding a genuine key), so the decoding is what is tested;
 * and per topic the signature classes (none, an untrusted key, a record changed after signing) are refused as
 * {@code UNAUTHENTICATED}.
 */
class BusFuzzTest {
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final int MUTATIONS_PER_TOPIC = 15;

    @TempDir
    static Path work;
    static LocalFleet fleet;
    static BusObserver observer;
    static List<ConsumerRecord<String, byte[]>> seen;
    static final long seed = Long.getLong("fuzz.seed", System.nanoTime());
    /** The fuzz machine's own key, enrolled with the sandbox's token. */
    static final java.security.KeyPair fuzzKey = Ed25519.generate();

    @BeforeAll
    static void startFleet() {
        Path jar = Path.of(System.getProperty("fleet.orchestrator.jar",
                "../../orchestrator/target/quarkus-app/quarkus-run.jar"));
        fleet = LocalFleet.start(new LocalFleet.Options(work, 1, 0, jar, "fuzz-admin", System.getenv()),
                line -> System.out.println("[sandbox] " + line));
        observer = new BusObserver(fleet, "fuzz-observer",
                List.of(Topics.DEAD_LETTER, Topics.ARTIFACTS, Topics.AGENT_EVENTS));
        seen = observer.seen();
        System.out.println("[fuzz] seed " + seed + " (repeat with -Dfuzz.seed=" + seed + ")");
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

    /** One bad record as sent: where it landed, and the reason it must be dead-lettered with (null: any or none). */
    private record Sent(String name, RejectReason expected, String topic, int partition, long offset) {
    }

    @Test
    void noRecordStopsAnyConsumerOfAnyProgram() throws Exception {
        fleet.awaitMachines(1, WAIT);
        String agent = fleet.agentIds().get(0);
        Random random = new Random(seed);

        // fleet.agent-events → orchestrator: a machine of the fuzz's own, whose heartbeats name a unit per probe
        String fuzzAgent = "fuzz-1/dev";
        long epoch = Instant.now().minusSeconds(60).toEpochMilli();
        sendEvent(new AgentRegistered(fuzzAgent, epoch, 1, "fuzz", new Inventory("fuzz-1", "dev", "fuzz-1",
                "10.0.26100", "2.4.11.0", "5.15", 1L << 30, Map.of(), List.of()))
                .withIdentity(Ed25519.encode(fuzzKey.getPublic()), fleet.enrolmentToken()));
        long[] sequence = {1};
        IntFunction<EventData> heartbeat = i -> new AgentHeartbeat(fuzzAgent, epoch, ++sequence[0],
                new Health("NixOS", "degraded", List.of("probe-" + i + ".service"), 1, null, Instant.now()));
        fuzzTopic(Topics.AGENT_EVENTS, heartbeat, random, i -> probeApplied(fuzzAgent, i), true);

        // a sequence jump within the epoch is refused; the agent's next genuine event is applied
        RecordMetadata jump = sendEvent(new AgentHeartbeat(fuzzAgent, epoch, sequence[0] + 5_000_000,
                new Health("NixOS", "degraded", List.of("jumped.service"), 1, null, Instant.now())));
        sendEvent(heartbeat.apply(10_000));
        awaitDeadLetter(new Sent("sequence jump", RejectReason.SEQUENCE_JUMP, Topics.AGENT_EVENTS,
                jump.partition(), jump.offset()));
        await().atMost(WAIT).until(() -> probeApplied(fuzzAgent, 10_000));

        // a heartbeat sent again under its id and sequence, with other data, changes nothing: heartbeats are
        // idempotent by the agent's (epoch, sequence), they keep no processed-event row (docs/design.md, "Retention")
        CloudEvent<?> original = CloudEvent.of(source(Topics.AGENT_EVENTS, fuzzAgent), heartbeat.apply(20_000));
        fleet.send(signed(EventCodec.toRecord(original)));
        await().atMost(WAIT).until(() -> probeApplied(fuzzAgent, 20_000));
        EventData forged = new AgentHeartbeat(fuzzAgent, epoch, sequence[0], new Health("NixOS", "degraded",
                List.of("probe-20001.service"), 1, null, Instant.now()));
        fleet.send(signed(EventCodec.toRecord(new CloudEvent<>(original.id(), original.type(), original.source(),
                Instant.now(), original.subject(), forged))));
        sendEvent(heartbeat.apply(20_002));
        await().atMost(WAIT).until(() -> probeApplied(fuzzAgent, 20_002));
        assertThat(fleet.api().get("api/v1/machines/" + fuzzAgent + "/health?limit=1000").toString())
                .doesNotContain("probe-20001.service");

        // fleet.artifacts → orchestrator: each probe is a new signed release
        IntFunction<EventData> release = i -> signedRelease("26.1." + i + "-fuzz");
        fuzzTopic(Topics.ARTIFACTS, release, random,
                i -> exists("api/v1/releases/rel-26.1." + i + "-fuzz"), true);

        // fleet.build-requests → build worker: each probe a build of a root that does not exist, failed at once
        IntFunction<EventData> build = i -> new BuildRequested("fuzz-build-" + i, "26.2." + i,
                new BuildRequested.Source(BuildRequested.SourceKind.ROOT_DIRECTORY,
                        work.resolve("no-such-root").toString(), null, null), null, "fuzz");
        fuzzTopic(Topics.BUILD_REQUESTS, build, random, i -> seenEvent(Topics.ARTIFACTS,
                e -> e instanceof BuildFailed f && f.buildId().equals("fuzz-build-" + i)), true);

        // fleet.commands → the agent: each probe re-publishes a health check already done, the very same record, so
        // the agent re-sends its stored result (without running wsl.exe again); any other record reusing its command
        // id is a replay, refused. Records keyed for no agent or another agent are not this
        // agent's to judge: it skips them, so the key classes are sent only to the consumers that own their topic.
        String healthCheckId = "fuzz-health-1";
        HealthCheckCommand check = new HealthCheckCommand(healthCheckId, agent, "NixOS", Instant.now().plusSeconds(600));
        sendEvent(check);
        await().atMost(WAIT).until(() -> resultsFor(healthCheckId) >= 1);
        int[] results = {(int) resultsFor(healthCheckId)};
        IntFunction<EventData> command = i -> check;
        fuzzTopic(Topics.COMMANDS, command, random, i -> resultsFor(healthCheckId) >= results[0] + i, false);

        // a fresh orchestrator instance, started after all of it, becomes ready and applies what comes next
        FleetApi second = fleet.startAnotherOrchestrator();
        assertThat(second.status("q/health")).isEqualTo(200);
        sendEvent(heartbeat.apply(30_000));
        await().atMost(WAIT).until(() -> second.get("api/v1/machines/" + fuzzAgent).path("failedUnits").toString()
                .contains("probe-30000.service"));
        assertThat(fleet.api().status("q/health")).isEqualTo(200);
    }

    /**
     * Sends, on {@code topic}, every bad variant of a good event and the seeded mutations, each followed by probe
     * {@code i}, then asserts every dead letter, every probe applied, health and the processes.
     */
    private void fuzzTopic(String topic, IntFunction<EventData> probe, Random random, IntPredicate applied,
                           boolean withKeyCases) throws Exception {
        List<Sent> sent = new ArrayList<>();
        CloudEvent<?> template = CloudEvent.of(source(topic, probe.apply(0).key()), probe.apply(0));
        List<BadRecords.Case> cases = new ArrayList<>(BadRecords.of(template));
        if (!withKeyCases) {
            cases.removeIf(c -> c.expected() == RejectReason.KEY_MISMATCH && !c.name().contains("ce_subject"));
        }
        int i = 1;
        for (BadRecords.Case bad : cases) {
            RecordMetadata at = fleet.sendAndAwait(signed(bad.record()));
            // an agent names a signed command keyed to it but about another agent for what it is: not its command
            RejectReason expected = topic.equals(Topics.COMMANDS) && bad.expected() == RejectReason.KEY_MISMATCH
                    ? RejectReason.NOT_YOUR_COMMAND : bad.expected();
            sent.add(new Sent(bad.name(), expected, topic, at.partition(), at.offset()));
            sendEvent(probe.apply(i++));
        }
        // the signature classes: the event a probe would be, but unsigned, signed by a key nobody trusts, or changed
        // after it was signed
        for (String forgery : List.of("unsigned", "untrusted key", "changed after signing")) {
            EventData data = probe.apply(i + 100_000);
            ProducerRecord<String, byte[]> record = EventCodec.toRecord(CloudEvent.of(source(topic, data.key()), data));
            ProducerRecord<String, byte[]> forged = switch (forgery) {
                case "unsigned" -> record;
                case "untrusted key" -> RecordSignatures.sign(record, new Signer(
                        topic.equals(Topics.AGENT_EVENTS) ? Signer.ofPair(fuzzKey).keyId() : "attacker",
                        Ed25519.generate().getPrivate()));
                default -> {
                    ProducerRecord<String, byte[]> ok = signed(record);
                    // still the same JSON to a decoder (a trailing space), but not the bytes that were signed
                    byte[] value = java.util.Arrays.copyOf(ok.value(), ok.value().length + 1);
                    value[value.length - 1] = ' ';
                    yield new ProducerRecord<>(topic, null, ok.key(), value, ok.headers());
                }
            };
            RecordMetadata at = fleet.sendAndAwait(forged);
            sent.add(new Sent(forgery, RejectReason.UNAUTHENTICATED, topic, at.partition(), at.offset()));
            sendEvent(probe.apply(i++));
        }
        ProducerRecord<String, byte[]> good = EventCodec.toRecord(template);
        for (int m = 0; m < MUTATIONS_PER_TOPIC; m++) {
            ProducerRecord<String, byte[]> mutated = Mutations.mutate(good, random);
            if (!withKeyCases && !template.data().key().equals(mutated.key())) {
                continue;
            }
            RecordMetadata at = fleet.sendAndAwait(signed(mutated));
            sent.add(new Sent("mutation " + m, null, topic, at.partition(), at.offset()));
            sendEvent(probe.apply(i++));
        }
        int last = i - 1;
        // a bound for a loaded machine (CI shares two cores with the broker, the database and three programs)
        await().atMost(WAIT.multipliedBy(3)).pollInterval(Duration.ofMillis(500))
                .alias("every probe on " + topic + " applied")
                .until(() -> applied.test(last));
        for (int p = 1; p <= last; p++) {
            assertThat(applied.test(p)).as("probe %d on %s applied", p, topic).isTrue();
        }
        for (Sent s : sent) {
            if (s.expected() != null) {
                awaitDeadLetter(s);
            } else {
                seenDeadLetter(s).ifPresent(dead -> assertThat(RejectReason.valueOf(reason(dead))).isNotNull());
            }
        }
        assertThat(fleet.api().status("q/health")).as("orchestrator health after " + topic).isEqualTo(200);
        for (ChildProcess child : fleet.children()) {
            assertThat(child.isAlive()).as(child + " alive after " + topic).isTrue();
        }
    }

    @FunctionalInterface
    private interface IntPredicate {
        boolean test(int i) throws Exception;
    }

    /**
     * Sends the event, signed. A command is sent as the very same record each time (one event id): an agent answers
     * a re-published command with its stored result, whereas another event reusing a command id is a replay.
     */
    private RecordMetadata sendEvent(EventData data) throws Exception {
        String topic = io.wslfleet.protocol.EventType.of(data).topic();
        if (topic.equals(Topics.COMMANDS)) {
            return fleet.sendAndAwait(commandRecords.computeIfAbsent(data,
                    d -> signed(EventCodec.toRecord(CloudEvent.of(source(topic, d.key()), d)))));
        }
        return fleet.sendAndAwait(signed(EventCodec.toRecord(CloudEvent.of(source(topic, data.key()), data))));
    }

    private final Map<EventData, ProducerRecord<String, byte[]>> commandRecords = new java.util.HashMap<>();

    /** Signed with the key the topic's consumer trusts: the fuzz machine's, the orchestrator's or the build worker's. */
    private static ProducerRecord<String, byte[]> signed(ProducerRecord<String, byte[]> record) {
        Signer signer = switch (record.topic()) {
            case Topics.AGENT_EVENTS -> Signer.ofPair(fuzzKey);
            case Topics.ARTIFACTS -> fleet.buildSigner();
            default -> fleet.orchestratorSigner();
        };
        return RecordSignatures.sign(record, signer);
    }

    /** The ce_source the topic's producer uses: an agent names itself. */
    private static String source(String topic, String key) {
        return topic.equals(Topics.AGENT_EVENTS) ? "urn:wsl-fleet:agent:" + key : "urn:fuzz";
    }

    private static void awaitDeadLetter(Sent s) {
        ConsumerRecord<String, byte[]> dead = await().atMost(WAIT).pollInterval(Duration.ofMillis(200))
                .alias("dead letter of '" + s.name() + "'").until(() -> seenDeadLetter(s).orElse(null), r -> r != null);
        assertThat(reason(dead)).as("reason for '%s' (%s)", s.name(), header(dead, CloudEventHeaders.DLQ_DETAIL))
                .isEqualTo(s.expected().name());
    }

    private static java.util.Optional<ConsumerRecord<String, byte[]>> seenDeadLetter(Sent s) {
        return seen.stream().filter(r -> r.topic().equals(Topics.DEAD_LETTER))
                .filter(r -> s.topic().equals(header(r, CloudEventHeaders.DLQ_ORIGIN_TOPIC)))
                .filter(r -> String.valueOf(s.partition()).equals(header(r, CloudEventHeaders.DLQ_ORIGIN_PARTITION)))
                .filter(r -> String.valueOf(s.offset()).equals(header(r, CloudEventHeaders.DLQ_ORIGIN_OFFSET)))
                .findFirst();
    }

    private static String reason(ConsumerRecord<String, byte[]> dead) {
        return header(dead, CloudEventHeaders.DLQ_REASON);
    }

    private static String header(ConsumerRecord<String, byte[]> r, String name) {
        var h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static boolean exists(String path) {
        try {
            fleet.api().get(path);
            return true;
        } catch (IllegalStateException notThere) {
            return false;
        }
    }

    private static boolean probeApplied(String agent, int i) {
        return fleet.api().get("api/v1/machines/" + agent + "/health?limit=1000").toString()
                .contains("probe-" + i + ".service");
    }

    private static boolean seenEvent(String topic, Predicate<EventData> match) {
        return seen.stream().filter(r -> r.topic().equals(topic)).map(r -> EventDecoder.of(topic).decode(r))
                .anyMatch(d -> d instanceof Decoded.Event e && match.test(e.event().data()));
    }

    private static long resultsFor(String commandId) {
        return seen.stream().filter(r -> r.topic().equals(Topics.AGENT_EVENTS))
                .map(r -> EventDecoder.of(Topics.AGENT_EVENTS).decode(r))
                .filter(d -> d instanceof Decoded.Event e && e.event().data() instanceof CommandResult c
                        && c.commandId().equals(commandId)).count();
    }

    private static ReleasePublished signedRelease(String version) {
        String sha = sha256(version);
        String systemPath = "/nix/store/" + sha.substring(0, 32) + "-nixos-system-fuzz-" + version;
        NixosMetadata nixos = new NixosMetadata("25.05", "fuzz", systemPath, 1, "2505.7.0", 4096, 10);
        String releaseId = "rel-" + version;
        SignedManifest signed = SignedManifest.sign(new ReleaseManifest(releaseId, version, sha, 1024, nixos,
                Instant.now(), LocalFleet.KEY_ID), fleet.signingKey().getPrivate());
        return new ReleasePublished(releaseId, "fuzz-" + version, version, sha, 1024,
                fleet.artifactBaseUrl() + "sha256/" + sha, signed.manifestJson(), signed.signature(), signed.keyId(),
                nixos);
    }

    private static String sha256(String text) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
