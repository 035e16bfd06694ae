package io.wslfleet.agent;


import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;

import io.wslfleet.buildworker.ArtifactServer;
import io.wslfleet.buildworker.ArtifactStore;
import io.wslfleet.buildworker.DemoRoot;
import io.wslfleet.embedded.FleetInfra;
import io.wslfleet.embedded.KafkaRole;
import io.wslfleet.protocol.CloudEvent;
import io.wslfleet.protocol.Decoded;
import io.wslfleet.protocol.EventCodec;
import io.wslfleet.protocol.EventDecoder;
import io.wslfleet.protocol.Topics;
import io.wslfleet.protocol.kafka.KafkaClientSettings;
import io.wslfleet.protocol.events.EventData;
import io.wslfleet.protocol.events.ReleaseRef;
import io.wslfleet.protocol.release.Ed25519;
import io.wslfleet.protocol.trust.RecordSignatures;
import io.wslfleet.protocol.trust.Signer;
import io.wslfleet.wslstandin.StandInLauncher;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** Shared by the agent tests: a real broker, an artifact server with signed releases, agents, and the event log. */
abstract class AgentTestSupport {

    @TempDir
    static Path tmp;
    static KeyPair key = Ed25519.generate();
    /** The orchestrator's command key as the agents trust it ({@code FLEET_TRUST_ORCHESTRATOR_KEYS}). */
    static final String ORCHESTRATOR_KEY_ID = "orch-1";
    static KeyPair orchestratorKey = Ed25519.generate();
    static ArtifactServer server;
    static ArtifactStore store;
    static KafkaProducer<String, byte[]> producer;
    static KafkaConsumer<String, byte[]> consumer;
    static final List<ConsumerRecord<String, byte[]>> seen = new ArrayList<>();
    static ReleaseRef release;
    static final List<Agent> agents = new ArrayList<>();
    /**
     * The broker the producer, the consumer and the agents use, as the {@code FLEET_KAFKA_*} variables of each
     * principal: the shared one, unless the test class set another before {@link #setUp()} runs, from an extension's
     * {@code beforeAll} (see {@link BrokerOutageTest}).
     */
    static Function<KafkaRole, Map<String, String>> kafka;
    /** That broker's bootstrap servers when {@link #setUp()} ran. */
    static String bootstrap;

    /** The client properties of {@code role} on {@link #kafka}'s broker. A new, modifiable map. */
    static Map<String, Object> clientProperties(KafkaRole role) {
        Map<String, String> env = kafka.apply(role);
        return KafkaClientSettings.forClient(KafkaClientSettings.security(env), env.get(KafkaClientSettings.BOOTSTRAP),
                Map.of());
    }

    @BeforeAll
    static void setUp() throws Exception {
        if (kafka == null) {
            kafka = FleetInfra.shared()::kafkaEnvironment;
        }
        bootstrap = kafka.apply(KafkaRole.ADMIN).get(KafkaClientSettings.BOOTSTRAP);
        store = new ArtifactStore(tmp.resolve("store"));
        server = new ArtifactServer(store, "127.0.0.1", 0, null);
        release = publish(store, "25.05.2", DemoRoot.Fault.NONE);
        // commands as the orchestrator sends them; what agents write read back as an operator would (admin)
        producer = new KafkaProducer<>(clientProperties(KafkaRole.ORCHESTRATOR), new StringSerializer(), new ByteArraySerializer());
        Map<String, Object> observer = clientProperties(KafkaRole.ADMIN);
        observer.putAll(Map.of("group.id", "agent-test-" + UUID.randomUUID(), "auto.offset.reset", "earliest"));
        consumer = new KafkaConsumer<>(observer, new StringDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(List.of(Topics.AGENT_EVENTS, Topics.DEAD_LETTER));
    }

    @AfterAll
    static void tearDown() {
        kafka = null; // the next test class chooses again
        bootstrap = null;
        agents.forEach(Agent::close);
        server.close();
        producer.close();
        consumer.close();
    }

    static ReleaseRef publish(ArtifactStore store, String version, DemoRoot.Fault fault) throws Exception {
        return new TestReleases(tmp, key, store, server).publish(version, fault);
    }

    static Agent agent(String machine, Path wslState) throws Exception {
        return agent(machine, wslState, Map.of());
    }

    static Agent agent(String machine, Path wslState, Map<String, String> extra) throws Exception {
        Path wsl = StandInLauncher.install(tmp.resolve(machine + "-bin"), wslState);
        Map<String, String> env = new java.util.HashMap<>(kafka.apply(KafkaRole.AGENT));
        env.putAll(Map.of(
                "FLEET_AGENT_MACHINE_ID", machine,
                "FLEET_AGENT_WINDOWS_USER", "Dev",
                "FLEET_WSL_PATH", wsl.toString(),
                "FLEET_TRUSTED_KEYS", "k1=" + Ed25519.encode(key.getPublic()),
                "FLEET_TRUST_ORCHESTRATOR_KEYS", trustedOrchestratorKeys(),
                "FLEET_AGENT_STATE_DIR", tmp.resolve(machine + "-agent").toString(),
                "FLEET_AGENT_LABELS", "ring=canary",
                "FLEET_HEARTBEAT_SECONDS", "30"));
        env.putAll(extra);
        AgentConfig config = AgentConfig.fromEnv(env);
        Agent agent = new Agent(config).start();
        agents.add(agent);
        return agent;
    }

    /** The agent as its own process ({@code windows-agent run}), logging to {@code <tmp>/<machine>-agent.log}. */
    static Process launch(String machine, Path wslState) throws Exception {
        Map<String, String> env = new java.util.HashMap<>();
        env.putAll(kafka.apply(KafkaRole.AGENT));
        env.put("FLEET_AGENT_MACHINE_ID", machine);
        env.put("FLEET_AGENT_WINDOWS_USER", "dev");
        env.put("FLEET_WSL_PATH", StandInLauncher.install(tmp.resolve(machine + "-bin"), wslState).toString());
        env.put("FLEET_TRUSTED_KEYS", "k1=" + Ed25519.encode(key.getPublic()));
        env.put("FLEET_TRUST_ORCHESTRATOR_KEYS", trustedOrchestratorKeys());
        env.put("FLEET_AGENT_STATE_DIR", tmp.resolve(machine + "-agent").toString());
        env.put("FLEET_HEARTBEAT_SECONDS", "30");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), AgentMain.class.getName(), "run")
                .redirectErrorStream(true).redirectOutput(tmp.resolve(machine + "-agent.log").toFile());
        pb.environment().putAll(env);
        return pb.start();
    }

    static String trustedOrchestratorKeys() {
        return ORCHESTRATOR_KEY_ID + "=" + Ed25519.encode(orchestratorKey.getPublic());
    }

    static Signer orchestratorSigner() {
        return new Signer(ORCHESTRATOR_KEY_ID, orchestratorKey.getPrivate());
    }

    /** A command as the orchestrator sends it: signed with its command key. */
    static void send(EventData command) throws Exception {
        sendRecord(RecordSignatures.sign(EventCodec.toRecord(CloudEvent.of("urn:test", command)), orchestratorSigner()));
    }

    static void sendRecord(ProducerRecord<String, byte[]> record) throws Exception {
        producer.send(record).get(30, TimeUnit.SECONDS);
    }

    static <T> List<T> events(Class<T> type, Predicate<T> match) {
        List<T> out = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> r : seen) {
            Decoded d = EventDecoder.of(r.topic()).decode(r);
            if (d instanceof Decoded.Event e && type.isInstance(e.event().data()) && match.test(type.cast(e.event().data()))) {
                out.add(type.cast(e.event().data()));
            }
        }
        return out;
    }

    static <T> T await(Class<T> type, Predicate<T> match) {
        long until = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < until) {
            Optional<T> hit = events(type, match).stream().findFirst();
            if (hit.isPresent()) {
                return hit.get();
            }
            consumer.poll(Duration.ofMillis(200)).forEach(seen::add);
        }
        throw new AssertionError("no " + type.getSimpleName() + " matching; seen " + seen.size() + " records");
    }

    /** Runs the stand-in wsl.exe on a state directory, as a user at the console would; returns its decoded stdout. */
    static String wsl(Path wslState, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(StandInLauncher.install(tmp.resolve("probe-bin"), wslState).toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("WSL_UTF8", "1");
        Process p = pb.start();
        String out = WslDriver.decode(p.getInputStream().readAllBytes());
        p.waitFor();
        return out;
    }

    /** Waits until the stand-in hangs in a wsl.exe call with this argument (it says so in faults/hanging). */
    static void awaitStandInCall(Path wslState, String argument) throws Exception {
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
            Path hanging = wslState.resolve("faults").resolve(io.wslfleet.wslstandin.StandInFaults.HANGING);
            return Files.exists(hanging) && List.of(Files.readString(hanging).trim().split(" ")).contains(argument);
        });
    }

    static String profileLink(Path wslState) throws Exception {
        return Files.readSymbolicLink(wslState.resolve("distros/NixOS/rootfs/nix/var/nix/profiles/system")).toString();
    }

    static String distrosOf(Path wslState) throws Exception {
        Process p = new ProcessBuilder(StandInLauncher.install(tmp.resolve("probe-bin"), wslState).toString(), "-l", "-q")
                .start();
        String out = WslDriver.decode(p.getInputStream().readAllBytes());
        p.waitFor();
        return out.trim();
    }
}
