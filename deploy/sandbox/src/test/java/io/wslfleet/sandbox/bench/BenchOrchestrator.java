package io.wslfleet.sandbox.bench;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.wslfleet.embedded.FleetInfra;
import io.wslfleet.sandbox.ChildProcess;
import io.wslfleet.sandbox.FleetApi;

/**
 * The packaged orchestrator ({@code quarkus-run.jar}) as the benchmarks run it: on a broker and database of its own
 * (or the external ones of {@code FLEET_KAFKA_BOOTSTRAP} / {@code FLEET_DB_*}), user {@code admin} with password
 * {@code bench}, logging at WARN, started and ready for requests.
 */
final class BenchOrchestrator implements AutoCloseable {
    /** The build key the benchmarked orchestrator trusts; benchmarks sign their releases with it. */
    static final String BUILD_KEY_ID = "bench-1";
    static final java.security.KeyPair BUILD_KEY = io.wslfleet.protocol.release.Ed25519.generate();

    static final String PASSWORD = "bench";

    final Path root;
    final FleetInfra infra;
    final ChildProcess process;
    final int port;

    private BenchOrchestrator(Path root, FleetInfra infra, ChildProcess process, int port) {
        this.root = root;
        this.infra = infra;
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
        Path root = projectRoot();
        Path work = Files.createTempDirectory(name + "-");
        FleetInfra infra = FleetInfra.create(work.resolve("infra"), System.getenv());
        Map<String, String> env = new LinkedHashMap<>(infra.environment());
        int port = basePort + (int) (ProcessHandle.current().pid() % 1000);
        env.put("QUARKUS_HTTP_PORT", String.valueOf(port));
        env.put("FLEET_ADMIN_PASSWORD", PASSWORD);
        env.put("FLEET_TRUST_BUILD_KEYS", BUILD_KEY_ID + "=" + io.wslfleet.protocol.release.Ed25519.encode(
                BUILD_KEY.getPublic()));
        env.put("QUARKUS_LOG_LEVEL", "WARN");
        ChildProcess process = ChildProcess.jar("orchestrator", List.of(heap),
                root.resolve("orchestrator/target/quarkus-app/quarkus-run.jar"), List.of(), env,
                work.resolve("orchestrator.log"));
        BenchOrchestrator started = new BenchOrchestrator(root, infra, process, port);
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

    FleetApi api() {
        return new FleetApi(URI.create("http://127.0.0.1:" + port + "/"), "admin", PASSWORD);
    }

    @Override
    public void close() {
        process.close();
        infra.close();
    }
}
