package io.wslfleet.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;
import io.wslfleet.embedded.EmbeddedDatabase;
import io.wslfleet.embedded.KafkaCluster;
import io.wslfleet.embedded.KafkaRole;
import io.wslfleet.protocol.CloudEvent;
import io.wslfleet.protocol.Decoded;
import io.wslfleet.protocol.EventCodec;
import io.wslfleet.protocol.EventDecoder;
import io.wslfleet.protocol.Topics;
import io.wslfleet.protocol.events.AgentCommand;
import io.wslfleet.protocol.events.InstallCommand;
import io.wslfleet.protocol.events.NixosMetadata;
import io.wslfleet.protocol.events.ReleasePublished;
import io.wslfleet.protocol.events.UpgradeCommand;
import io.wslfleet.protocol.release.Ed25519;
import io.wslfleet.protocol.release.ReleaseManifest;
import io.wslfleet.protocol.release.SignedManifest;
import io.wslfleet.protocol.trust.RecordSignatures;
import io.wslfleet.protocol.trust.Signer;
import io.wslfleet.protocol.trust.TrustedKeys;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rollout across a real multi-node deployment survives a broker and an orchestrator dying under it. A 3-node KRaft
 * cluster (three processes, the secured listener, a principal per role, topics replicated 3 times with
 * {@code min.insync.replicas} 2), two packaged orchestrator instances on one PostgreSQL, and
 * {@value #DEFAULT_AGENTS} simulated agents ({@link SimulatedAgents}; {@code -Dfleet.multinode.agents=N} for another
 * number). During the rollout (a canary, then two waves) one broker is killed with SIGKILL and later restarted, and
 * one orchestrator is killed with SIGKILL; the other carries the rollout on. Figures and how they were measured:
 * {@code docs/benchmarks/multi-node.md}.
 *
 * <p>The orchestrators get a signing key file ({@code FLEET_ORCHESTRATOR_KEY_FILE}) and the agents obey only commands
 * that verify with its public key (an unsigned or wrongly signed one is refused, and fails the test); the agents
 * enrol with a token an admin made through the API, as a fleet's new machines would.
 *
 * <p>Asserted: the rollout SUCCEEDED; on {@code fleet.commands} exactly one command id per machine for the release
 * (a re-publish of the same id is at-least-once delivery, counted and reported, not a second command); every
 * machine's deployment SUCCEEDED exactly once, with the command id the bus carried and the release's system path;
 * each simulated agent ran its command once; no event of theirs was lost; the restarted broker caught up.
 */
class MultiNodeFaultTest {
    static final int DEFAULT_AGENTS = 1000;
    private static final String BUILD_KEY_ID = "multi-node-build-1";
    private static final String ORCHESTRATOR_KEY_ID = "multi-node-orchestrator-1";
    private static final String ARTIFACT_BASE_URL = "http://127.0.0.1:9/artifacts/";
    private static final String PREFIX = "mn-";

    @TempDir
    Path work;

    private final int agentCount = Integer.getInteger("fleet.multinode.agents", DEFAULT_AGENTS);
    private final List<ChildProcess> orchestrators = new ArrayList<>();
    private final Map<String, String> figures = new LinkedHashMap<>();
    private final long started = System.nanoTime();
    private KafkaCluster cluster;
    private EmbeddedDatabase database;
    private SimulatedAgents agents;

    @AfterEach
    void stopEverything() throws Exception {
        if (agents != null) {
            agents.close();
        }
        for (ChildProcess orchestrator : orchestrators) {
            orchestrator.stop();
        }
        if (cluster != null) {
            cluster.close();
        }
        if (database != null) {
            database.close();
        }
        keepLogs();
    }

    /** The orchestrators' and the nodes' logs outlive the temporary directory, in target/multi-node-logs. */
    private void keepLogs() throws IOException {
        Path kept = Path.of("target", "multi-node-logs");
        Files.createDirectories(kept);
        List<Path> logs = new ArrayList<>();
        for (ChildProcess orchestrator : orchestrators) {
            logs.add(orchestrator.log());
        }
        for (int node = 1; cluster != null && node <= cluster.size(); node++) {
            logs.add(cluster.nodeLog(node));
        }
        for (Path log : logs) {
            if (Files.isRegularFile(log)) {
                String name = log.getParent().getFileName() + "-" + log.getFileName();
                Files.copy(log, kept.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    @Test
    void rolloutSucceedsWhileABrokerAndAnOrchestratorAreKilled() throws Exception {
        cluster = KafkaCluster.start(work.resolve("kafka"), 3);
        cluster.createTopics(Topics.ALL, Topics.DEFAULT_PARTITIONS);
        mark("cluster of 3 up, topics created");
        database = EmbeddedDatabase.start(work.resolve("postgres"));
        mark("PostgreSQL up");

        KeyPair buildKey = Ed25519.generate();
        KeyPair orchestratorKey = Ed25519.generate();
        Map<String, String> env = orchestratorEnvironment(buildKey, orchestratorKey);
        FleetApi first = startOrchestrator("orchestrator-1", env);
        FleetApi second = startOrchestrator("orchestrator-2", env);
        mark("2 orchestrators ready");

        String oldPath = systemPath("26.1.0");
        agents = new SimulatedAgents(cluster.clientProperties(KafkaRole.AGENT),
                TrustedKeys.parse(ORCHESTRATOR_KEY_ID + "=" + Ed25519.encode(orchestratorKey.getPublic())),
                true,
                enrolmentToken(first), line -> System.out.println("[agents] " + line));
        agents.start(PREFIX, agentCount, oldPath, Duration.ofSeconds(20), Duration.ofSeconds(10));
        awaitTrue(agentCount + " machines registered", Duration.ofMinutes(5),
                () -> second.get("api/v1/machines?size=1&enrolment=ACCEPTED").path("total").asInt() >= agentCount);
        mark(agentCount + " agents registered");

        ReleasePublished release = publishRelease(buildKey, "26.2.0");
        awaitTrue("the release cataloged", Duration.ofMinutes(2),
                () -> first.get("api/v1/releases/" + release.releaseId()).path("id").asText()
                        .equals(release.releaseId()));
        long rolloutId = first.post("api/v1/rollouts", rolloutBody(release.releaseId())).path("id").asLong();
        long rolloutStarted = System.nanoTime();
        mark("rollout " + rolloutId + " started");

        // the canary answered and the first wave going out: a broker dies under it
        awaitTrue("the first wave dispatched", Duration.ofMinutes(3), () -> agents.answeredCommands() >= 1
                && agents.agents().stream().filter(a -> !a.deliveries.isEmpty()).count() > 1);
        int victim = cluster.leaderOf(Topics.AGENT_EVENTS, 0).orElseThrow();
        assertThat(agents.answeredCommands()).as("answered when the broker dies").isLessThan(agentCount / 4);
        cluster.kill(victim);
        mark("SIGKILL broker " + victim + " (leader of " + Topics.AGENT_EVENTS + "-0), answered "
                + agents.answeredCommands());

        // a quarter of the machines done: the instance the rollout was created on dies too
        awaitTrue("a quarter of the machines answered", Duration.ofMinutes(5),
                () -> agents.answeredCommands() >= agentCount / 4);
        assertThat(agents.answeredCommands()).as("answered when the orchestrator dies").isLessThan(agentCount / 2);
        orchestrators.get(0).kill();
        mark("SIGKILL orchestrator-1, answered " + agents.answeredCommands());

        // the survivors carry on with two brokers and one orchestrator until half the machines are done
        awaitTrue("half of the machines answered", Duration.ofMinutes(5),
                () -> agents.answeredCommands() >= agentCount / 2);
        cluster.restart(victim);
        cluster.awaitBrokers(3, Duration.ofMinutes(2));
        mark("broker " + victim + " restarted, answered " + agents.answeredCommands());

        JsonNode rollout = awaitValue("the rollout to end", Duration.ofMinutes(10), () -> {
            assertThat(orchestrators.get(1).isAlive()).as("orchestrator-2 alive").isTrue();
            JsonNode r = second.get("api/v1/rollouts/" + rolloutId);
            return Set.of("SUCCEEDED", "HALTED", "ROLLED_BACK", "CANCELLED").contains(r.path("state").asText())
                    ? r : null;
        });
        figures.put("rollout duration", seconds(System.nanoTime() - rolloutStarted));
        mark("rollout " + rollout.path("state").asText());
        cluster.awaitInSync(Topics.ALL, Duration.ofMinutes(3));
        mark("every replica in sync");

        assertThat(rollout.path("state").asText()).as("rollout %s", rollout).isEqualTo("SUCCEEDED");

        // on the bus: exactly one command id per machine for the release
        Map<String, Set<String>> commandIds = new HashMap<>();
        Map<String, Integer> records = new HashMap<>();
        for (AgentCommand command : commandsOnTheBus()) {
            String releaseId = command instanceof UpgradeCommand u ? u.release().releaseId()
                    : command instanceof InstallCommand i ? i.release().releaseId() : null;
            if (release.releaseId().equals(releaseId)) {
                commandIds.computeIfAbsent(command.agentId(), k -> new HashSet<>()).add(command.commandId());
                records.merge(command.commandId(), 1, Integer::sum);
            }
        }
        assertThat(commandIds).hasSize(agentCount);
        assertThat(commandIds.values()).allSatisfy(ids -> assertThat(ids).hasSize(1));
        int republished = records.values().stream().mapToInt(n -> n - 1).sum();
        figures.put("command records re-published with the same id", String.valueOf(republished));

        // in the orchestrator: one deployment per machine, SUCCEEDED with that command and the new system
        List<JsonNode> deployments = deployments(second, rolloutId);
        assertThat(deployments).hasSize(agentCount);
        Set<String> machines = new HashSet<>();
        for (JsonNode d : deployments) {
            String machine = d.path("machineId").asText();
            assertThat(machines.add(machine)).as("one deployment for %s", machine).isTrue();
            assertThat(d.path("state").asText()).as("deployment of %s", machine).isEqualTo("SUCCEEDED");
            assertThat(commandIds.get(machine)).as("the command of %s", machine)
                    .containsExactly(d.path("commandId").asText());
            assertThat(d.path("reportedSystemPath").asText()).isEqualTo(release.nixos().systemPath());
        }

        // each agent ran its command once and lost no event
        assertThat(agents.answeredCommands()).isEqualTo(agentCount);
        assertThat(agents.agents()).allSatisfy(a -> assertThat(a.generations).hasSize(2));
        assertThat(agents.sendFailures()).isZero();
        assertThat(agents.refusedCommands()).isZero();
        figures.put("command deliveries answered from the stored result", String.valueOf(agents.redeliveries()));
        figures.put("commands verified / unsigned", agents.verifiedCommands() + " / " + agents.unsignedCommands());
        figures.put("agent events sent", String.valueOf(agents.sent()));
        mark("asserted");
        report();
    }

    /** The enrolment token every simulated agent registers with, made by an admin through the API. */
    private static String enrolmentToken(FleetApi admin) {
        return admin.post("api/v1/enrolment-tokens", Map.of("maxUses", 100_000, "expiresIn", "PT2H"))
                .path("token").asText();
    }

    private Map<String, String> orchestratorEnvironment(KeyPair buildKey, KeyPair orchestratorKey) throws IOException {
        Path keyFile = work.resolve("orchestrator-signing.keys");
        Files.writeString(keyFile, ORCHESTRATOR_KEY_ID + "=" + Ed25519.encode(orchestratorKey.getPrivate()) + "\n",
                StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
        Map<String, String> env = new LinkedHashMap<>(cluster.clientEnvironment(KafkaRole.ORCHESTRATOR));
        env.put("FLEET_DB_URL", database.jdbcUrl());
        env.put("FLEET_DB_USER", EmbeddedDatabase.USER);
        env.put("FLEET_DB_PASSWORD", EmbeddedDatabase.PASSWORD);
        env.put("QUARKUS_HTTP_HOST", "127.0.0.1");
        env.put("FLEET_ADMIN_PASSWORD", "multi-node-admin");
        env.put("FLEET_OPERATOR_PASSWORD", LocalFleet.randomPassword());
        env.put("FLEET_VIEWER_PASSWORD", LocalFleet.randomPassword());
        env.put("FLEET_ROLLOUT_TICK_EVERY", "1s");
        env.put("FLEET_OUTBOX_RELAY_EVERY", "1s");
        env.put("FLEET_TRUST_BUILD_KEYS", BUILD_KEY_ID + "=" + Ed25519.encode(buildKey.getPublic()));
        env.put("FLEET_TRUST_ARTIFACT_BASE_URLS", ARTIFACT_BASE_URL);
        env.put("FLEET_ORCHESTRATOR_KEY_FILE", keyFile.toString());
        // a killed instance's partitions go to the survivor after 10 s, not the client default's 45 s
        env.put("KAFKA_SESSION_TIMEOUT_MS", "10000");
        return env;
    }

    private FleetApi startOrchestrator(String name, Map<String, String> common) {
        int port = LocalFleet.freePort();
        Map<String, String> env = new LinkedHashMap<>(common);
        env.put("QUARKUS_HTTP_PORT", String.valueOf(port));
        Path jar = Path.of(System.getProperty("fleet.orchestrator.jar",
                "../../orchestrator/target/quarkus-app/quarkus-run.jar"));
        ChildProcess process = ChildProcess.jar(name, List.of("-Xmx512m", "-XX:+UseSerialGC"), jar, List.of(), env,
                work.resolve("logs/" + name + ".log"));
        orchestrators.add(process);
        FleetApi api = new FleetApi(URI.create("http://127.0.0.1:" + port + "/"), "admin", "multi-node-admin");
        awaitTrue(name + " ready", Duration.ofMinutes(3), () -> {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited:\n" + process.logTail(40));
            }
            return api.status("q/health/ready") == 200;
        });
        return api;
    }

    private ReleasePublished publishRelease(KeyPair buildKey, String version) throws Exception {
        String sha = sha256(version);
        NixosMetadata nixos = new NixosMetadata("25.05", "multi-node", systemPath(version), 1, "2505.7.0", 4096, 10);
        String releaseId = "rel-" + version;
        SignedManifest signed = SignedManifest.sign(new ReleaseManifest(releaseId, version, sha, 1024, nixos,
                Instant.now(), BUILD_KEY_ID), buildKey.getPrivate());
        ReleasePublished release = new ReleasePublished(releaseId, "build-" + version, version, sha, 1024,
                ARTIFACT_BASE_URL + "sha256/" + sha, signed.manifestJson(), signed.signature(), signed.keyId(), nixos);
        var record = RecordSignatures.sign(EventCodec.toRecord(CloudEvent.of("urn:wsl-fleet:build-worker:multi-node",
                release)), new Signer(BUILD_KEY_ID, buildKey.getPrivate()));
        Map<String, Object> props = cluster.clientProperties(KafkaRole.BUILD_WORKER);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        try (var producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
            producer.send(record).get(60, TimeUnit.SECONDS);
        }
        return release;
    }

    private static Map<String, Object> rolloutBody(String releaseId) {
        return LocalFleet.rolloutToAll("multi-node", releaseId, 600);
    }

    /** Every command on {@code fleet.commands}, read from the beginning as the admin principal. */
    private List<AgentCommand> commandsOnTheBus() {
        Map<String, Object> props = cluster.clientProperties(KafkaRole.ADMIN);
        List<AgentCommand> commands = new ArrayList<>();
        EventDecoder decoder = EventDecoder.of(Topics.COMMANDS);
        try (var consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.COMMANDS).stream()
                    .map(p -> new TopicPartition(Topics.COMMANDS, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long until = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                assertThat(System.nanoTime()).as("read fleet.commands to its end").isLessThan(until);
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (decoder.decode(r) instanceof Decoded.Event e && e.event().data() instanceof AgentCommand c) {
                        commands.add(c);
                    }
                }
            }
        }
        return commands;
    }

    private static List<JsonNode> deployments(FleetApi api, long rolloutId) {
        List<JsonNode> all = new ArrayList<>();
        for (int page = 0; ; page++) {
            JsonNode items = api.get("api/v1/rollouts/" + rolloutId + "/deployments?size=1000&page=" + page)
                    .path("items");
            items.forEach(all::add);
            if (items.size() < 1000) {
                return all;
            }
        }
    }

    private static String systemPath(String version) {
        return "/nix/store/" + sha256("system " + version).substring(0, 32) + "-nixos-system-multi-node-" + version;
    }

    private void mark(String what) {
        String at = seconds(System.nanoTime() - started);
        String line = at + " s, load " + loadAverage() + ": " + what;
        figures.put(what, at + " s (load " + loadAverage() + ")");
        System.out.println("[multi-node] " + line);
    }

    private void report() throws IOException {
        StringBuilder out = new StringBuilder("multi-node fault scenario, " + agentCount + " agents\n");
        figures.forEach((k, v) -> out.append(k).append(": ").append(v).append('\n'));
        System.out.print("[multi-node] " + out);
        Path file = Path.of("target", "multi-node-" + agentCount + ".txt");
        Files.createDirectories(file.getParent());
        Files.writeString(file, out.toString(), StandardCharsets.UTF_8);
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "?";
        }
    }

    private static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.1f", nanos / 1e9);
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void awaitTrue(String what, Duration timeout, BooleanSupplier condition) {
        LocalFleet.awaitTrue(what, timeout, condition);
    }

    private static <T> T awaitValue(String what, Duration timeout, Supplier<T> probe) {
        return LocalFleet.awaitValue(what, timeout, probe);
    }
}
