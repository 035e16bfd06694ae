package io.wslfleet.sandbox;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import com.fasterxml.jackson.databind.JsonNode;
import io.wslfleet.buildworker.DemoRoot;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code java -jar deploy/sandbox/target/fleet-sandbox.jar}: the whole of WSL Fleet on this machine, on embedded
 * defaults, with a demo release rolled out to simulated workstations. Runs until Ctrl-C.
 */
@Command(name = "fleet-sandbox", mixinStandardHelpOptions = true,
        description = "Runs WSL Fleet locally: Kafka, PostgreSQL, orchestrator, build worker and simulated "
                + "workstations; publishes a demo release and rolls it out; runs until Ctrl-C.")
public final class SandboxMain implements Callable<Integer> {

    @Option(names = "--agents", description = "Simulated workstations (default: ${DEFAULT-VALUE}).")
    int agents = 3;

    @Option(names = "--port", description = "The orchestrator's HTTP port (default: ${DEFAULT-VALUE}; 0 = any free port).")
    int port = 8080;

    @Option(names = "--work-dir", description = "Where logs, artifacts and workstation state go (default: ${DEFAULT-VALUE}).")
    Path workDir = Path.of("target", "sandbox");

    @Option(names = "--orchestrator-jar", description = "The packaged orchestrator (default: ${DEFAULT-VALUE}).")
    Path orchestratorJar = Path.of("orchestrator", "target", "quarkus-app", "quarkus-run.jar");

    @Option(names = "--demo-version", description = "Version of the demo release (default: ${DEFAULT-VALUE}).")
    String demoVersion = "25.05.1";

    @Option(names = "--no-demo", description = "Start the fleet without publishing and rolling out a demo release.")
    boolean noDemo;

    public static void main(String[] args) {
        System.exit(new CommandLine(new SandboxMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        String password = System.getenv().getOrDefault("FLEET_ADMIN_PASSWORD", LocalFleet.randomPassword());
        var options = new LocalFleet.Options(workDir.toAbsolutePath(), agents, port,
                orchestratorJar.toAbsolutePath(), password, System.getenv());
        long started = System.nanoTime();
        deleteTree(workDir.toAbsolutePath());
        CountDownLatch stopped = new CountDownLatch(1);
        LocalFleet fleet = LocalFleet.start(options, SandboxMain::say);
        Thread hook = new Thread(() -> {
            say("stopping: agents, orchestrator, build worker, Kafka, PostgreSQL");
            fleet.close();
            say("stopped");
            stopped.countDown();
        }, "sandbox-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);

        say("");
        say("WSL Fleet is running.");
        say("  dashboard and API  " + fleet.api().base());
        say("  health             " + fleet.api().base() + "q/health");
        say("  OpenAPI            " + fleet.api().base() + "q/openapi");
        say("  sign in as         admin / " + password);
        say("                     operator / " + fleet.operatorPassword());
        say("                     viewer / " + fleet.viewerPassword());
        say("  enrol a machine    FLEET_ENROLMENT_TOKEN=" + fleet.enrolmentToken()
                + " (or accept it from the pending list on the dashboard)");
        say("  logs               " + workDir.toAbsolutePath().resolve("logs"));
        say("  Kafka (admin)      kafka-console-consumer.sh --bootstrap-server " + fleet.infra().kafkaBootstrap()
                + " --command-config " + fleet.kafkaAdminProperties().toAbsolutePath() + " --include 'fleet\\..*'");
        say("");

        if (!noDemo) {
            fleet.awaitMachines(agents, Duration.ofMinutes(2));
            say(agents + " workstations enrolled (with the sandbox's enrolment token)");
            String buildId = fleet.requestDemoBuild(demoVersion, DemoRoot.Fault.NONE);
            say("requested build " + buildId + " of NixOS-WSL " + demoVersion);
            JsonNode release = fleet.awaitRelease("rel-" + demoVersion, Duration.ofMinutes(2));
            say("release " + release.path("id").asText() + " published: sha256 " + release.path("sha256").asText());
            long rolloutId = fleet.startRollout("demo " + demoVersion, release.path("id").asText());
            say("rollout " + rolloutId + " started: " + LocalFleet.waves(fleet.api().get("api/v1/rollouts/" + rolloutId))
                    + " (" + fleet.api().base() + "ui/rollouts/" + rolloutId + ")");
            JsonNode rollout = fleet.awaitRolloutState(rolloutId,
                    Set.of("SUCCEEDED", "HALTED", "ROLLED_BACK", "CANCELLED", "FAILED"), Duration.ofMinutes(5));
            say("rollout " + rolloutId + " ended " + rollout.path("state").asText() + " after "
                    + Duration.ofNanos(System.nanoTime() - started).toSeconds() + " s");
        }
        say("Press Ctrl-C to stop.");
        stopped.await();
        return 0;
    }

    /** A previous run's state (installed distros, an old database) would make this run lie: start clean. */
    private static void deleteTree(Path dir) throws java.io.IOException {
        if (!java.nio.file.Files.exists(dir)) {
            return;
        }
        try (var paths = java.nio.file.Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }


    static void say(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
