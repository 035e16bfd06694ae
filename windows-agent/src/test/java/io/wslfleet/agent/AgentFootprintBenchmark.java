package io.wslfleet.agent;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.wslfleet.buildworker.DemoRoot;
import io.wslfleet.buildworker.RootPacker;
import io.wslfleet.embedded.FleetInfra;
import io.wslfleet.protocol.Decoded;
import io.wslfleet.protocol.EventCodec;
import io.wslfleet.protocol.Topics;
import io.wslfleet.protocol.events.AgentRegistered;
import io.wslfleet.protocol.release.Ed25519;
import io.wslfleet.wslstandin.StandInLauncher;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Benchmark (a program, not a test): the real agent process ({@code windows-agent run}) idle with NixOS installed
 * on the stand-in wsl.exe and heartbeats every 5 s, its resident set read from {@code /proc/<pid>/status} (VmRSS,
 * VmHWM, Threads) once a second for the idle period after it registered; with {@link LaunchDefaults#JVM_OPTIONS},
 * with the sandbox's former flags and with the JVM's own defaults. Writes {@code docs/benchmarks/windows-agent.md}.
 * <p>Run: {@code ./mvnw -q -pl windows-agent -am test-compile dependency:build-classpath
 * -Dmdep.outputFile=/tmp/agent-cp.txt -Dmdep.includeScope=test}, then {@code java -cp
 * windows-agent/target/test-classes:windows-agent/target/classes:$(cat /tmp/agent-cp.txt)
 * io.wslfleet.agent.AgentFootprintBenchmark [idle-seconds]} from the project root.
 */
public final class AgentFootprintBenchmark {

    record Sample(long rssKb, long hwmKb, int threads) {
    }

    record Run(String name, List<String> options, long startMs, long peakRssKb, long lastRssKb, long hwmKb, int threads) {
    }

    public static void main(String[] args) throws Exception {
        int idleSeconds = args.length > 0 ? Integer.parseInt(args[0]) : 90;
        Path work = Files.createTempDirectory("agent-footprint");
        String bootstrap = FleetInfra.shared().kafkaBootstrap();
        List<Run> runs = new ArrayList<>();
        runs.add(measure("LaunchDefaults (the task's and bundled runtime's)", LaunchDefaults.JVM_OPTIONS, work,
                bootstrap, idleSeconds));
        runs.add(measure("sandbox's former flags", List.of("-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"),
                work, bootstrap, idleSeconds));
        runs.add(measure("JVM defaults (no flags)", List.of(), work, bootstrap, idleSeconds));
        String report = report(runs, idleSeconds);
        Files.writeString(Path.of("docs/benchmarks/windows-agent.md"), report);
        System.out.println(report);
        System.exit(0);
    }

    private static Run measure(String name, List<String> options, Path work, String bootstrap, int idleSeconds)
            throws Exception {
        String machine = "bench-" + UUID.randomUUID().toString().substring(0, 8);
        Path wslState = work.resolve(machine + "-wsl");
        Path wsl = StandInLauncher.install(work.resolve(machine + "-bin"), wslState);
        Path root = work.resolve(machine + "-root");
        DemoRoot.create(root, "bench", "25.05.1", 1, DemoRoot.Fault.NONE);
        Path image = work.resolve(machine + ".wsl");
        try (var out = Files.newOutputStream(image)) {
            RootPacker.pack(root, out, d -> { });
        }
        Process imp = new ProcessBuilder(wsl.toString(), "--import", "NixOS", work.resolve(machine + "-loc").toString(),
                image.toString(), "--version", "2").inheritIO().start();
        imp.waitFor();

        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(options);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), AgentMain.class.getName(), "run"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(work.resolve(machine + ".log").toFile());
        pb.environment().putAll(FleetInfra.shared().kafkaEnvironment(io.wslfleet.embedded.KafkaRole.AGENT));
        pb.environment().putAll(Map.of("FLEET_AGENT_MACHINE_ID", machine,
                "FLEET_AGENT_WINDOWS_USER", "dev", "FLEET_WSL_PATH", wsl.toString(),
                "FLEET_TRUSTED_KEYS", "k1=" + Ed25519.encode(Ed25519.generate().getPublic()),
                "FLEET_TRUST_ORCHESTRATOR_KEYS", "orch-1=" + Ed25519.encode(Ed25519.generate().getPublic()),
                "FLEET_AGENT_STATE_DIR", work.resolve(machine + "-agent").toString(), "FLEET_HEARTBEAT_SECONDS", "5"));
        long started = System.nanoTime();
        Process agent = pb.start();
        Map<String, Object> admin = FleetInfra.shared().kafkaClientProperties(io.wslfleet.embedded.KafkaRole.ADMIN);
        admin.putAll(Map.of("group.id", "bench-" + machine, "auto.offset.reset", "earliest"));
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(admin,
                new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.AGENT_EVENTS));
            boolean registered = false;
            long until = System.nanoTime() + Duration.ofMinutes(3).toNanos();
            while (!registered && System.nanoTime() < until) {
                for (var r : consumer.poll(Duration.ofMillis(200))) {
                    if (io.wslfleet.protocol.EventDecoder.of(r.topic()).decode(r) instanceof Decoded.Event e && e.event().data() instanceof AgentRegistered a
                            && a.agentId().equals(machine + "/dev")) {
                        registered = true;
                    }
                }
            }
            if (!registered) {
                throw new IllegalStateException("agent " + machine + " never registered; see " + work.resolve(machine + ".log"));
            }
        }
        long startMs = Duration.ofNanos(System.nanoTime() - started).toMillis();
        long peak = 0;
        Sample last = null;
        for (int i = 0; i < idleSeconds; i++) {
            Thread.sleep(1000); // a benchmark's sampling interval, not a test waiting for a condition
            last = sample(agent.pid());
            peak = Math.max(peak, last.rssKb());
        }
        agent.destroy();
        agent.waitFor();
        return new Run(name, options, startMs, peak, last.rssKb(), last.hwmKb(), last.threads());
    }

    private static Sample sample(long pid) throws Exception {
        long rss = 0;
        long hwm = 0;
        int threads = 0;
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"), StandardCharsets.UTF_8)) {
            String[] f = line.split("\\s+");
            switch (f[0]) {
                case "VmRSS:" -> rss = Long.parseLong(f[1]);
                case "VmHWM:" -> hwm = Long.parseLong(f[1]);
                case "Threads:" -> threads = Integer.parseInt(f[1]);
                default -> { }
            }
        }
        return new Sample(rss, hwm, threads);
    }

    private static String report(List<Run> runs, int idleSeconds) throws Exception {
        String commit = new String(new ProcessBuilder("git", "rev-parse", "--short", "HEAD").start().getInputStream()
                .readAllBytes(), StandardCharsets.UTF_8).trim();
        String dirty = new String(new ProcessBuilder("git", "status", "--porcelain", "windows-agent").start()
                .getInputStream().readAllBytes(), StandardCharsets.UTF_8).isBlank() ? "" : " (with uncommitted changes)";
        String load = Files.readString(Path.of("/proc/loadavg")).trim();
        StringBuilder s = new StringBuilder();
        s.append("# Windows agent footprint (idle)\n\n");
        s.append("Measured ").append(Instant.now()).append(" at commit `").append(commit).append('`').append(dirty)
                .append(" by `AgentFootprintBenchmark` (windows-agent test sources), on ")
                .append(Runtime.getRuntime().availableProcessors()).append(" cores, load average `").append(load)
                .append("` at the end, Java ").append(System.getProperty("java.version")).append(".\n\n");
        s.append("Method: the real agent process (`windows-agent run`), NixOS installed on the stand-in wsl.exe, the\n")
                .append("project's in-process Kafka broker, heartbeats every 5 s; after its registration arrived, VmRSS,\n")
                .append("VmHWM and Threads read from `/proc/<pid>/status` once a second for ").append(idleSeconds)
                .append(" s. Target: idle < 128 MB RSS with the default launch settings.\n\n");
        s.append("| launch settings | JVM options | start to registered | idle RSS peak | idle RSS last | VmHWM | threads |\n");
        s.append("|---|---|---|---|---|---|---|\n");
        for (Run r : runs) {
            s.append("| ").append(r.name()).append(" | `").append(r.options().isEmpty() ? "(none)" : String.join(" ", r.options()))
                    .append("` | ").append(r.startMs()).append(" ms | ").append(r.peakRssKb() / 1024).append(" MB | ")
                    .append(r.lastRssKb() / 1024).append(" MB | ").append(r.hwmKb() / 1024).append(" MB | ")
                    .append(r.threads()).append(" |\n");
        }
        s.append("\nThe default launch settings are `LaunchDefaults.JVM_OPTIONS`: the scheduled task's command line\n")
                .append("(`windows-agent install`) and `deploy/windows/build-runtime.ps1`'s jpackage options use them.\n")
                .append("On Windows the numbers differ (a jlink'd runtime maps fewer modules; Windows reports the\n")
                .append("working set, not RSS); this measures the same JVM settings on Linux.\n");
        return s.toString();
    }
}
