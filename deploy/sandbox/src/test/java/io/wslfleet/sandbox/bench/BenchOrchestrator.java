package io.wslfleet.sandbox.bench;

import java.net.URI;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.wslfleet.embedded.FleetInfra;
import io.wslfleet.protocol.release.Ed25519;
import io.wslfleet.protocol.trust.Signer;
import io.wslfleet.sandbox.ChildProcess;
import io.wslfleet.sandbox.FleetApi;

/**
 * The packaged orchestrator ({@code quarkus-run.jar}) as the benchmarks run it: on a broker and database of its own
 * (or the external ones of {@code FLEET_KAFKA_BOOTSTRAP} / {@code FLEET_DB_*}), user {@code admin} with password
 * {@code bench}, logging at WARN, started and ready for requests. It signs its commands with a key of its own
 * ({@code FLEET_ORCHESTRATOR_KEY_FILE}), catalogs only releases signed by {@link #BUILD_KEY} and downloadable under
 * {@link #ARTIFACT_BASE_URL}, and admits machines that register with an enrolment token ({@link #enrolmentToken}).
 */
final class BenchOrchestrator implements AutoCloseable {
    /** The build key the benchmarked orchestrator trusts; benchmarks sign their releases with it. */
    static final String BUILD_KEY_ID = "bench-1";
    static final KeyPair BUILD_KEY = Ed25519.generate();
    /** Where the benchmarks' releases say they can be downloaded (nothing downloads them). */
    static final String ARTIFACT_BASE_URL = "http://127.0.0.1:1/artifacts/";
    private static final String COMMAND_KEY_ID = "bench-orchestrator-1";

    static final String PASSWORD = "bench";

    final Path root;
    final FleetInfra infra;
    final ChildProcess process;
    final int port;
    private final boolean ownsInfra;

    private BenchOrchestrator(Path root, FleetInfra infra, boolean ownsInfra, ChildProcess process, int port) {
        this.root = root;
        this.infra = infra;
        this.ownsInfra = ownsInfra;
        this.process = process;
        this.port = port;
    }

    /** The checkout's root: the folder holding {@code orchestrator/}, from {@code -Dfleet.root} or the working dir. */
    static Path projectRoot() {
        Path root = Path.of(System.getProperty("fleet.root", ".")).toAbsolutePath();
        while (!Files.exists(root.resolve("orchestrator")) && root.getParent() != null) {
            root = root.getParent();
        }
        return root;
    }

    static BenchOrchestrator start(String name, String heap, int basePort) throws Exception {
        return start(name, heap, basePort, false);
    }

    /** On a broker and database of its own; {@code durable}: PostgreSQL with fsync and synchronous commit on. */
    static BenchOrchestrator start(String name, String heap, int basePort, boolean durable) throws Exception {
        Path work = Files.createTempDirectory(name + "-");
        Map<String, String> infraEnv = new LinkedHashMap<>(System.getenv());
        infraEnv.put(FleetInfra.DURABLE_DATABASE, String.valueOf(durable));
        FleetInfra infra = FleetInfra.create(work.resolve("infra"), infraEnv);
        return launch(work, infra, true, heap, basePort);
    }

    /** A second instance on this one's broker and database (the same consumer group), with a port of its own. */
    BenchOrchestrator another(String name, String heap, int basePort) throws Exception {
        return launch(Files.createTempDirectory(name + "-"), infra, false, heap, basePort);
    }

    private static BenchOrchestrator launch(Path work, FleetInfra infra, boolean ownsInfra, String heap, int basePort)
            throws Exception {
        Path root = projectRoot();
        Map<String, String> env = new LinkedHashMap<>(infra.environment());
        int port = basePort + (int) (ProcessHandle.current().pid() % 1000);
        env.put("QUARKUS_HTTP_PORT", String.valueOf(port));
        env.put("FLEET_ADMIN_PASSWORD", PASSWORD);
        env.put("FLEET_TRUST_BUILD_KEYS", BUILD_KEY_ID + "=" + Ed25519.encode(BUILD_KEY.getPublic()));
        env.put("FLEET_TRUST_ARTIFACT_BASE_URLS", ARTIFACT_BASE_URL);
        env.put("FLEET_ORCHESTRATOR_KEY_FILE", writeCommandKeyFile(work.resolve("secrets/orchestrator.keys")).toString());
        env.put("QUARKUS_LOG_LEVEL", "WARN");
        List<String> jvm = new java.util.ArrayList<>(List.of(heap));
        String extra = System.getProperty("bench.jvm", ""); // e.g. a flight recording: -XX:StartFlightRecording=...
        if (!extra.isBlank()) {
            jvm.addAll(List.of(extra.trim().replace("{name}", work.getFileName().toString()).split("\\s+")));
        }
        ChildProcess process = ChildProcess.jar("orchestrator", jvm,
                root.resolve("orchestrator/target/quarkus-app/quarkus-run.jar"), List.of(), env,
                work.resolve("orchestrator.log"));
        BenchOrchestrator started = new BenchOrchestrator(root, infra, ownsInfra, process, port);
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (started.api().status("q/health/ready") != 200) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                started.close();
                throw new IllegalStateException("orchestrator not ready:\n" + process.logTail(30));
            }
            Thread.sleep(250);
        }
        return started;
    }

    /** A command key of its own, in the key-file form ({@code keyId=base64pkcs8}), readable by its owner only. */
    private static Path writeCommandKeyFile(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, COMMAND_KEY_ID + "=" + Ed25519.encode(Ed25519.generate().getPrivate()) + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    /** An enrolment token made as an admin makes one for a batch of new machines: {@code <tokenId>.<secret>}. */
    String enrolmentToken(int maxUses, Duration expiresIn) {
        String token = api().post("api/v1/enrolment-tokens", Map.of("maxUses", maxUses, "expiresIn",
                expiresIn.toString())).path("token").asText();
        if (token.isEmpty()) {
            throw new IllegalStateException("the orchestrator made no enrolment token");
        }
        return token;
    }

    /** The build key as a signer of records on {@code fleet.artifacts}, as the build worker signs its events. */
    static Signer buildSigner() {
        return new Signer(BUILD_KEY_ID, BUILD_KEY.getPrivate());
    }

    FleetApi api() {
        return new FleetApi(URI.create("http://127.0.0.1:" + port + "/"), "admin", PASSWORD);
    }

    @Override
    public void close() {
        process.close();
        if (ownsInfra) {
            infra.close();
        }
    }
}
