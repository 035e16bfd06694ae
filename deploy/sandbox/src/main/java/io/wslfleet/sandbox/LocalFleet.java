package io.wslfleet.sandbox;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;
import io.wslfleet.agent.AgentMain;
import io.wslfleet.buildworker.cli.BuildWorkerCli;
import io.wslfleet.buildworker.DemoRoot;
import io.wslfleet.embedded.FleetInfra;
import io.wslfleet.embedded.KafkaRole;
import io.wslfleet.protocol.events.BuildRequested;
import io.wslfleet.protocol.release.Ed25519;
import io.wslfleet.protocol.kafka.KafkaClientSettings;
import io.wslfleet.wslstandin.StandInLauncher;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The whole fleet on one machine. In start order:
 * <ol>
 *   <li>the Kafka broker and PostgreSQL ({@link FleetInfra}: embedded, or external through {@code FLEET_KAFKA_BOOTSTRAP}
 *       and {@code FLEET_DB_*}); the embedded broker runs SASL_SSL with a principal per role, each program connects
 *       with its own, and {@code <work>/kafka-admin.properties} holds the admin principal's client properties for
 *       Kafka's console tools;</li>
 *   <li>the sandbox's keys: the build worker's release key (signs manifests and artifact events) and the
 *       orchestrator's command key (signs commands and build requests, in a key file the orchestrator re-reads), each
 *       trusted by the programs that verify it; and the build worker as a child process ({@code build-worker worker},
 *       with its artifact HTTP server on a free loopback port);</li>
 *   <li>the packaged orchestrator ({@code orchestrator/target/quarkus-app/quarkus-run.jar}) as a child process, until
 *       {@code /q/health/ready} answers 200, and an enrolment token made through its API;</li>
 *   <li>N simulated workstations: each a stand-in {@code wsl.exe} with its own state directory and a windows agent
 *       running as its own process against it, enrolling with the token.</li>
 * </ol>
 * {@link #close()} stops them in reverse order and leaves no process behind.
 */
public final class LocalFleet implements AutoCloseable {

    /** The build worker's release key id. */
    public static final String KEY_ID = "sandbox-1";
    /** The orchestrator's command key id at start. */
    public static final String ORCHESTRATOR_KEY_ID = "sandbox-orchestrator-1";
    /** The key {@link #rotateOrchestratorKey} switches to: made at start and trusted by every verifier from then. */
    public static final String NEXT_ORCHESTRATOR_KEY_ID = "sandbox-orchestrator-2";
    /** The release key {@link #rotateBuildKey} switches the build worker to. */
    public static final String NEXT_BUILD_KEY_ID = "sandbox-2";
    public static final String MACHINE_PREFIX = "ws-";
    public static final String WINDOWS_USER = "dev";

    /**
     * @param workDir         everything the sandbox writes: logs, artifacts, stand-in state, agents' state
     * @param agents          how many simulated workstations
     * @param httpPort        the orchestrator's port (0: a free one)
     * @param orchestratorJar the packaged orchestrator
     * @param adminPassword   the orchestrator's {@code admin} password
     * @param environment     where {@code FLEET_KAFKA_BOOTSTRAP} / {@code FLEET_DB_*} may name external servers, and
     *                        {@code FLEET_OIDC_*} an identity provider the orchestrator signs users in with
     */
    public record Options(Path workDir, int agents, int httpPort, Path orchestratorJar, String adminPassword,
                          Map<String, String> environment) {
    }

    private final Options options;
    private final Consumer<String> say;
    private final List<ChildProcess> children = new ArrayList<>();
    private FleetInfra infra;
    private ChildProcess buildWorker;
    private String artifactBaseUrl;
    private final Map<KafkaRole, Producer<String, byte[]>> producers = new EnumMap<>(KafkaRole.class);
    private Path kafkaAdminProperties;
    private ChildProcess orchestrator;
    private Map<String, String> orchestratorEnv;
    private FleetApi api;
    private KeyPair signingKey;
    /** The build key {@link #rotateBuildKey} switches to: trusted by the orchestrator and the agents from the start. */
    private final KeyPair nextSigningKey = Ed25519.generate();
    private String activeBuildKeyId = KEY_ID;
    /** The agent process of each machine id, to stop and start one workstation. */
    private final Map<String, ChildProcess> agents = new LinkedHashMap<>();
    private final Map<String, Map<String, String>> agentEnvs = new HashMap<>();
    /** The orchestrator's command keys in its key file, by id; the last one signs. */
    private final Map<String, KeyPair> orchestratorKeys = new LinkedHashMap<>();
    private final KeyPair nextOrchestratorKey = Ed25519.generate();
    private Path orchestratorKeyFile;
    private String enrolmentToken;
    private final List<String> agentIds = new ArrayList<>();
    /** A password of each role's own: a viewer's password must not be the operator's or the admin's. */
    private final String operatorPassword = randomPassword();
    private final String viewerPassword = randomPassword();

    private LocalFleet(Options options, Consumer<String> say) {
        this.options = options;
        this.say = say;
    }

    public static LocalFleet start(Options options, Consumer<String> say) {
        LocalFleet fleet = new LocalFleet(options, say);
        try {
            fleet.startAll();
            return fleet;
        } catch (RuntimeException | Error e) {
            fleet.close();
            throw e;
        }
    }

    private void startAll() {
        Path work = options.workDir();
        mkdirs(work);
        say.accept("starting Kafka and PostgreSQL");
        infra = FleetInfra.create(work.resolve("infra"), options.environment());
        String bootstrap = infra.kafkaBootstrap();
        infra.jdbcUrl();
        kafkaAdminProperties = infra.writeKafkaClientProperties(KafkaRole.ADMIN, work.resolve("kafka-admin.properties"));
        say.accept("  Kafka broker     " + bootstrap + " (" + infra.kafkaEnvironment(KafkaRole.ADMIN)
                .get(KafkaClientSettings.SECURITY_PROTOCOL) + ")");
        say.accept("  Kafka admin      " + kafkaAdminProperties.toAbsolutePath()
                + " (kafka-console-consumer.sh --command-config <this file>)");
        say.accept("  PostgreSQL       " + infra.jdbcUrl());

        signingKey = Ed25519.generate();
        orchestratorKeys.put(ORCHESTRATOR_KEY_ID, Ed25519.generate());
        orchestratorKeyFile = work.resolve("secrets/orchestrator-signing.keys");
        writeOrchestratorKeyFile();

        say.accept("starting the build worker");
        startBuildWorker(work);
        say.accept("  artifacts served at " + artifactBaseUrl + " (log " + buildWorker.log() + ")");

        say.accept("starting the orchestrator (" + options.orchestratorJar() + ")");
        startOrchestrator(work);

        say.accept("starting " + options.agents() + " simulated workstations");
        for (int i = 1; i <= options.agents(); i++) {
            startAgent(work, i);
        }
    }

    /** The build worker in its own process, as production runs it: {@code build-worker worker}. */
    private void startBuildWorker(Path work) {
        startBuildWorker(work, freePort());
    }

    private void startBuildWorker(Path work, int port) {
        artifactBaseUrl = "http://127.0.0.1:" + port + "/";
        Map<String, String> env = new HashMap<>();
        env.putAll(infra.kafkaEnvironment(KafkaRole.BUILD_WORKER));
        env.put("FLEET_STORE_DIR", work.resolve("artifacts").toString());
        env.put("FLEET_WORK_DIR", work.resolve("build-work").toString());
        env.put("FLEET_ARTIFACT_HOST", "127.0.0.1");
        env.put("FLEET_ARTIFACT_PORT", String.valueOf(port));
        env.put("FLEET_ARTIFACT_PUBLIC_URL", artifactBaseUrl);
        KeyPair buildKey = activeBuildKeyId.equals(KEY_ID) ? signingKey : nextSigningKey;
        env.put("FLEET_SIGNING_KEY_ID", activeBuildKeyId);
        env.put("FLEET_SIGNING_KEY", Ed25519.encode(buildKey.getPrivate()));
        env.put("FLEET_SOURCE", "urn:wsl-fleet:build-worker:sandbox");
        env.put("FLEET_TRUST_ORCHESTRATOR_KEYS", trustedOrchestratorKeys());
        buildWorker = ChildProcess.java("build worker", List.of("-Xmx256m", "-XX:+UseSerialGC"),
                System.getProperty("java.class.path"), BuildWorkerCli.class.getName(), List.of("worker"), env,
                work.resolve("logs/build-worker.log"));
        children.add(buildWorker);
        awaitTrue("the build worker to serve artifacts at " + artifactBaseUrl, Duration.ofMinutes(1), () -> {
            if (!buildWorker.isAlive()) {
                throw new IllegalStateException("the build worker exited:\n" + buildWorker.logTail(40));
            }
            try {
                var connection = (java.net.HttpURLConnection) URI.create(artifactBaseUrl).toURL().openConnection();
                connection.setConnectTimeout(1000);
                connection.getResponseCode();
                return true;
            } catch (IOException e) {
                return false;
            }
        });
    }

    private void startOrchestrator(Path work) {
        if (!Files.isRegularFile(options.orchestratorJar())) {
            throw new IllegalStateException("the packaged orchestrator is missing: " + options.orchestratorJar()
                    + " (build it first: ./mvnw -q package -DskipTests)");
        }
        int port = options.httpPort() == 0 ? freePort() : options.httpPort();
        Map<String, String> env = new LinkedHashMap<>(infra.environment());
        env.put("QUARKUS_HTTP_PORT", String.valueOf(port));
        env.put("QUARKUS_HTTP_HOST", "127.0.0.1");
        env.put("FLEET_ADMIN_PASSWORD", options.adminPassword());
        env.put("FLEET_OPERATOR_PASSWORD", operatorPassword);
        env.put("FLEET_VIEWER_PASSWORD", viewerPassword);
        env.put("FLEET_ROLLOUT_TICK_EVERY", "1s");
        env.put("FLEET_OUTBOX_RELAY_EVERY", "1s");
        // the orchestrator catalogs only releases this sandbox's build key signed, downloadable from its worker
        env.put("FLEET_TRUST_BUILD_KEYS", trustedBuildKeys());
        env.put("FLEET_TRUST_ARTIFACT_BASE_URLS", artifactBaseUrl);
        env.put("FLEET_ORCHESTRATOR_KEY_FILE", orchestratorKeyFile.toString());
        // single sign-on when the environment configures it (README "Single sign-on"); Basic users stay either way
        options.environment().forEach((name, value) -> {
            if (name.startsWith("FLEET_OIDC_")) {
                env.put(name, value);
            }
        });
        orchestratorEnv = env;
        api = new FleetApi(URI.create("http://127.0.0.1:" + port + "/"), "admin", options.adminPassword());
        launchOrchestrator();
        say.accept("  orchestrator     " + api.base() + " (log " + orchestrator.log() + ")");
        // one token for the sandbox's own workstations: as an admin would make one for a batch of new machines
        JsonNode token = api.post("api/v1/enrolment-tokens", Map.of("maxUses", 1000, "expiresIn", "P7D"));
        enrolmentToken = token.path("token").asText();
        say.accept("  enrolment token  " + enrolmentToken + " (FLEET_ENROLMENT_TOKEN for more agents)");
    }

    private void launchOrchestrator() {
        orchestrator = ChildProcess.jar("orchestrator", List.of("-Xmx512m", "-XX:+UseSerialGC"),
                options.orchestratorJar(), List.of(), orchestratorEnv, options.workDir().resolve("logs/orchestrator.log"));
        children.add(orchestrator);
        awaitTrue("the orchestrator to be ready at " + api.base(), Duration.ofMinutes(3), () -> {
            if (!orchestrator.isAlive()) {
                throw new IllegalStateException("the orchestrator exited:\n" + orchestrator.logTail(40));
            }
            return api.status("q/health/ready") == 200;
        });
    }

    /**
     * Starts a second orchestrator instance on another port, sharing the database and the broker (consumer group,
     * row locks): the way two instances run side by side in production. Stopped with the fleet.
     */
    public FleetApi startAnotherOrchestrator() {
        int port = freePort();
        Map<String, String> env = new LinkedHashMap<>(orchestratorEnv);
        env.put("QUARKUS_HTTP_PORT", String.valueOf(port));
        ChildProcess second = ChildProcess.jar("orchestrator-2", List.of("-Xmx512m", "-XX:+UseSerialGC"),
                options.orchestratorJar(), List.of(), env, options.workDir().resolve("logs/orchestrator-2.log"));
        children.add(second);
        FleetApi secondApi = new FleetApi(URI.create("http://127.0.0.1:" + port + "/"), "admin", options.adminPassword());
        awaitTrue("the second orchestrator to be ready on port " + port, Duration.ofMinutes(3), () -> {
            if (!second.isAlive()) {
                throw new IllegalStateException("the second orchestrator exited:\n" + second.logTail(40));
            }
            return secondApi.status("q/health/ready") == 200;
        });
        return secondApi;
    }

    /**
     * Stops the orchestrator with SIGTERM, as Kubernetes and systemd do, and returns its exit code; its log stays at
     * {@link #orchestratorLog()}.
     */
    public int stopOrchestrator() {
        children.remove(orchestrator);
        orchestrator.stop();
        return orchestrator.exitValue();
    }

    public Path orchestratorLog() {
        return orchestrator.log();
    }

    /**
     * Stops the orchestrator (with SIGKILL when {@code crash}, as a power cut would) and starts it again on the same
     * port, database and broker.
     */
    public void restartOrchestrator(boolean crash) {
        children.remove(orchestrator);
        if (crash) {
            orchestrator.kill();
        } else {
            orchestrator.stop();
        }
        launchOrchestrator();
    }

    private void startAgent(Path work, int index) {
        startWorkstation(String.format("%s%03d", MACHINE_PREFIX, index), index == 1 ? "canary" : "broad", true);
    }

    /**
     * Starts one more simulated workstation: a stand-in wsl.exe and an agent process. With {@code withToken} it
     * enrols with the sandbox's token; without, it waits in the pending list for an operator. Returns its agent id.
     */
    public String startWorkstation(String machineId, String ring, boolean withToken) {
        Path work = options.workDir();
        Path home = work.resolve("workstations").resolve(machineId);
        Path wsl;
        try {
            wsl = StandInLauncher.install(home.resolve("bin"), home.resolve("wsl-state"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> env = new HashMap<>();
        env.putAll(infra.kafkaEnvironment(KafkaRole.AGENT));
        env.put("FLEET_AGENT_MACHINE_ID", machineId);
        env.put("FLEET_AGENT_WINDOWS_USER", WINDOWS_USER);
        env.put("FLEET_WSL_PATH", wsl.toString());
        env.put("FLEET_TRUSTED_KEYS", trustedBuildKeys());
        env.put("FLEET_TRUST_ORCHESTRATOR_KEYS", trustedOrchestratorKeys());
        if (withToken) {
            env.put("FLEET_ENROLMENT_TOKEN", enrolmentToken);
        }
        env.put("FLEET_AGENT_STATE_DIR", home.resolve("agent-state").toString());
        env.put("FLEET_AGENT_LABELS", "ring=" + ring + ",site=sandbox");
        env.put("FLEET_HEARTBEAT_SECONDS", "15");
        ChildProcess agent = ChildProcess.java("agent " + machineId,
                io.wslfleet.agent.LaunchDefaults.JVM_OPTIONS,
                System.getProperty("java.class.path"), AgentMain.class.getName(), List.of("run"), env,
                work.resolve("logs/agent-" + machineId + ".log"));
        children.add(agent);
        agents.put(machineId, agent);
        agentEnvs.put(machineId, env);
        agentIds.add(machineId + "/" + WINDOWS_USER);
        return machineId + "/" + WINDOWS_USER;
    }

    /** Stops a workstation's agent (the laptop is shut); its state and its stand-in stay. */
    public void stopAgent(String machineId) {
        ChildProcess agent = agents.remove(machineId);
        children.remove(agent);
        agent.stop();
    }

    /** Starts a stopped workstation's agent again, with its state. */
    public void restartAgent(String machineId) {
        Map<String, String> env = agentEnvs.get(machineId);
        ChildProcess agent = ChildProcess.java("agent " + machineId, io.wslfleet.agent.LaunchDefaults.JVM_OPTIONS,
                System.getProperty("java.class.path"), AgentMain.class.getName(), List.of("run"), env,
                options.workDir().resolve("logs/agent-" + machineId + ".log"));
        children.add(agent);
        agents.put(machineId, agent);
    }

    /** The state directory of a workstation's agent: its identity key is {@code identity.key} there. */
    public Path agentStateDir(String machineId) {
        return options.workDir().resolve("workstations").resolve(machineId).resolve("agent-state");
    }

    /**
     * Restarts the build worker with the next release key ({@link #NEXT_BUILD_KEY_ID}), which the orchestrator and
     * the agents trusted from the start: the way a build key is rotated. Releases published before keep verifying
     * with the old key, which stays trusted.
     */
    public void rotateBuildKey() {
        children.remove(buildWorker);
        buildWorker.stop();
        activeBuildKeyId = NEXT_BUILD_KEY_ID;
        startBuildWorker(options.workDir(), URI.create(artifactBaseUrl).getPort());
    }

    private String trustedBuildKeys() {
        return KEY_ID + "=" + Ed25519.encode(signingKey.getPublic()) + "," + NEXT_BUILD_KEY_ID + "="
                + Ed25519.encode(nextSigningKey.getPublic());
    }

    /**
     * Asks for a release of a small NixOS-WSL root made here, through the orchestrator's API as an operator would (the
     * orchestrator signs the build request); returns the build id.
     */
    public String requestDemoBuild(String version, DemoRoot.Fault fault) {
        Path root = options.workDir().resolve("demo-roots").resolve(version);
        try {
            DemoRoot.create(root, "fleet-demo", version, 1, fault);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        JsonNode build = api.post("api/v1/builds", Map.of("version", version,
                "source", Map.of("kind", BuildRequested.SourceKind.ROOT_DIRECTORY.name(), "location", root.toString())));
        return build.path("id").asText();
    }

    /**
     * Rotates the orchestrator's command key without a restart, the way an operator rotates it in production: the
     * new key ({@link #NEXT_ORCHESTRATOR_KEY_ID}) is already trusted by every verifier (the agents and the build
     * worker were started trusting it), and now becomes the last line of the orchestrator's key file, which the
     * orchestrator re-reads when it changes. Dropping the old key from the verifiers' lists is the last step.
     */
    public void rotateOrchestratorKey() {
        orchestratorKeys.put(NEXT_ORCHESTRATOR_KEY_ID, nextOrchestratorKey);
        writeOrchestratorKeyFile();
    }

    /** The orchestrator's active command key, as a signer: tests sign commands and build requests with it. */
    public io.wslfleet.protocol.trust.Signer orchestratorSigner() {
        var last = orchestratorKeys.entrySet().stream().reduce((a, b) -> b).orElseThrow();
        return new io.wslfleet.protocol.trust.Signer(last.getKey(), last.getValue().getPrivate());
    }

    /** The build worker's release key, as a signer of records on {@code fleet.artifacts}. */
    public io.wslfleet.protocol.trust.Signer buildSigner() {
        return new io.wslfleet.protocol.trust.Signer(activeBuildKeyId,
                activeBuildKeyId.equals(KEY_ID) ? signingKey.getPrivate() : nextSigningKey.getPrivate());
    }

    /** The enrolment token the sandbox's workstations enrol with. */
    public String enrolmentToken() {
        return enrolmentToken;
    }

    private String trustedOrchestratorKeys() {
        StringBuilder trusted = new StringBuilder();
        orchestratorKeys.forEach((id, pair) -> trusted.append(id).append('=').append(Ed25519.encode(pair.getPublic()))
                .append(','));
        trusted.append(NEXT_ORCHESTRATOR_KEY_ID).append('=').append(Ed25519.encode(nextOrchestratorKey.getPublic()));
        return trusted.toString();
    }

    private void writeOrchestratorKeyFile() {
        StringBuilder lines = new StringBuilder("# the orchestrator's command keys; the last line signs\n");
        orchestratorKeys.forEach((id, pair) -> lines.append(id).append('=')
                .append(Ed25519.encode(pair.getPrivate())).append('\n'));
        try {
            mkdirs(orchestratorKeyFile.getParent());
            Path part = orchestratorKeyFile.resolveSibling(orchestratorKeyFile.getFileName() + ".part");
            Files.writeString(part, lines);
            try {
                Files.setPosixFilePermissions(part, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException notPosix) {
                // Windows: the work directory is the user's own
            }
            Files.move(part, orchestratorKeyFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Publishes a record as is (tests use it for malformed input), with the principal of the program that writes its
     * topic ({@link KafkaRole#writerOf}): the sandbox stands in for that program, and the broker's ACLs still apply.
     */
    public void send(org.apache.kafka.clients.producer.ProducerRecord<String, byte[]> record) {
        sendAndAwait(record);
    }

    /** Publishes a record as {@link #send} does and returns where it landed. */
    public org.apache.kafka.clients.producer.RecordMetadata sendAndAwait(
            org.apache.kafka.clients.producer.ProducerRecord<String, byte[]> record) {
        try {
            return producer(KafkaRole.writerOf(record.topic())).send(record).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("could not publish to " + record.topic(), e);
        }
    }

    public JsonNode awaitRelease(String releaseId, Duration timeout) {
        return awaitValue("release " + releaseId + " in the orchestrator", timeout, () -> {
            JsonNode page = api.get("api/v1/releases");
            for (JsonNode release : items(page)) {
                if (releaseId.equals(release.path("id").asText())) {
                    return release;
                }
            }
            return null;
        });
    }

    public void awaitMachines(int count, Duration timeout) {
        awaitTrue(count + " registered machines", timeout, () -> {
            assertChildrenAlive();
            return api.get("api/v1/machines?size=1&enrolment=ACCEPTED").path("total").asInt() >= count;
        });
    }

    /**
     * Creates and starts a rollout of the release to every machine: a canary of one, then half and the rest (as few
     * waves as the machines fill: three machines make two).
     */
    public long startRollout(String name, String releaseId) {
        return api.post("api/v1/rollouts", rolloutToAll(name, releaseId, 300)).path("id").asLong();
    }

    /** The body of {@link #startRollout}'s rollout: every machine, a canary of one, then half and the rest. */
    public static Map<String, Object> rolloutToAll(String name, String releaseId, int deadlineSeconds) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", name);
        body.put("releaseId", releaseId);
        body.put("target", Map.of("all", true));
        body.put("canary", Map.of("count", 1));
        body.put("waves", List.of(Map.of("percent", 50), Map.of("percent", 100)));
        body.put("errorThresholdPercent", 0);
        body.put("soakSeconds", 2);
        body.put("deadlineSeconds", deadlineSeconds);
        body.put("autoRollback", true);
        body.put("start", true);
        return body;
    }

    /** A started rollout's waves as they came out: "3 machines in 2 waves (canary 1, wave-1 2)". */
    public static String waves(JsonNode rollout) {
        List<String> waves = new ArrayList<>();
        int machines = 0;
        for (JsonNode wave : rollout.path("waves")) {
            waves.add(wave.path("name").asText() + " " + wave.path("size").asInt());
            machines += wave.path("size").asInt();
        }
        return machines + (machines == 1 ? " machine" : " machines") + " in " + waves.size()
                + (waves.size() == 1 ? " wave" : " waves") + " (" + String.join(", ", waves) + ")";
    }

    public JsonNode awaitRolloutState(long rolloutId, Set<String> states, Duration timeout) {
        return awaitValue("rollout " + rolloutId + " to reach " + states, timeout, () -> {
            assertChildrenAlive();
            JsonNode rollout = api.get("api/v1/rollouts/" + rolloutId);
            return states.contains(rollout.path("state").asText()) ? rollout : null;
        });
    }

    private static Iterable<JsonNode> items(JsonNode page) {
        return page.has("items") ? page.get("items") : page;
    }

    private void assertChildrenAlive() {
        for (ChildProcess child : children) {
            if (!child.isAlive()) {
                throw new IllegalStateException(child.name() + " exited:\n" + child.logTail(40));
            }
        }
    }

    public String operatorPassword() {
        return operatorPassword;
    }

    public String viewerPassword() {
        return viewerPassword;
    }

    static String randomPassword() {
        byte[] bytes = new byte[12];
        new java.security.SecureRandom().nextBytes(bytes);
        return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    public FleetApi api() {
        return api;
    }

    /** The client-properties file of the admin principal, for Kafka's console tools and {@code FLEET_KAFKA_CLIENT_PROPERTIES}. */
    public Path kafkaAdminProperties() {
        return kafkaAdminProperties;
    }

    private Producer<String, byte[]> producer(KafkaRole role) {
        synchronized (producers) {
            return producers.computeIfAbsent(role, r -> new KafkaProducer<>(KafkaClientSettings.forClient(
                    KafkaClientSettings.security(infra.kafkaEnvironment(r)), infra.kafkaBootstrap(), Map.of(
                            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                            ProducerConfig.ACKS_CONFIG, "all",
                            ProducerConfig.CLIENT_ID_CONFIG, "sandbox-" + r.name().toLowerCase(java.util.Locale.ROOT))),
                    new StringSerializer(), new ByteArraySerializer()));
        }
    }

    public FleetInfra infra() {
        return infra;
    }

    public List<String> agentIds() {
        return List.copyOf(agentIds);
    }

    public KeyPair signingKey() {
        return signingKey;
    }

    public List<ChildProcess> children() {
        return List.copyOf(children);
    }

    public String artifactBaseUrl() {
        return artifactBaseUrl;
    }

    @Override
    public void close() {
        for (int i = children.size() - 1; i >= 0; i--) {
            children.get(i).stop();
        }
        children.clear();
        buildWorker = null;
        synchronized (producers) {
            producers.values().forEach(p -> p.close(Duration.ofSeconds(5)));
            producers.clear();
        }
        if (infra != null) {
            infra.close();
            infra = null;
        }
    }

    static void awaitTrue(String what, Duration timeout, BooleanSupplier condition) {
        awaitValue(what, timeout, () -> condition.getAsBoolean() ? Boolean.TRUE : null);
    }

    static <T> T awaitValue(String what, Duration timeout, Supplier<T> probe) {
        long deadline = System.nanoTime() + timeout.toNanos();
        RuntimeException last = null;
        while (System.nanoTime() < deadline) {
            try {
                T value = probe.get();
                if (value != null) {
                    return value;
                }
            } catch (IllegalStateException e) {
                if (e.getMessage() != null && e.getMessage().contains(" exited:")) {
                    throw e;
                }
                last = e;
            } catch (RuntimeException e) {
                last = e;
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + what, e);
            }
        }
        throw new IllegalStateException("timed out after " + timeout.toSeconds() + " s waiting for " + what, last);
    }

    static int freePort() {
        try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void mkdirs(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
