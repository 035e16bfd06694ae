package io.wslfleet.deploy.kubernetes;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.wslfleet.protocol.kafka.KafkaClientSettings;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * deploy/systemd: the units pass {@code systemd-analyze verify} without a word, and their EnvironmentFiles name only
 * variables the programs read (derived from the code, {@link ProgramSettings}) plus those the unit's own command line
 * expands.
 */
class SystemdUnitsTest {

    static final Path SYSTEMD = ProgramSettings.repoRoot().resolve("deploy/systemd");
    static final String ORCHESTRATOR_UNIT = "wsl-fleet-orchestrator.service";
    static final String BUILD_WORKER_UNIT = "wsl-fleet-build-worker.service";
    static final String PREFIX = "/opt/wsl-fleet/";

    @Test
    void unitsPassSystemdAnalyzeVerify(@TempDir Path dir) throws Exception {
        assertThat(verify(dir, Map.of())).isEmpty();
    }

    @Test
    void verifyReportsAMisspeltOrWrongDirective(@TempDir Path dir) throws Exception {
        String output = verify(dir, Map.of("ProtectSystem=strict", "ProtectSytem=strict", "ProtectHome=yes", "ProtectHome=maybe"));
        assertThat(output).contains("Unknown key", "ProtectSytem").contains("maybe");
    }

    @Test
    void unitsAreHardenedAndKeepTheirDataInTheirOwnDirectories() throws IOException {
        for (String unit : List.of(ORCHESTRATOR_UNIT, BUILD_WORKER_UNIT)) {
            Map<String, String> service = section(Files.readString(SYSTEMD.resolve(unit)), "Service");
            assertThat(service).as(unit).containsEntry("ProtectSystem", "strict").containsEntry("NoNewPrivileges", "yes")
                    .containsEntry("PrivateTmp", "yes").containsEntry("CapabilityBoundingSet", "")
                    .containsKey("StateDirectory").containsKey("EnvironmentFile");
            assertThat(service.containsKey("DynamicUser") || service.containsKey("User")).as(unit + ": a user of its own").isTrue();
            assertThat(service.get("User")).isNotEqualTo("root");
        }
        Map<String, String> worker = section(Files.readString(SYSTEMD.resolve(BUILD_WORKER_UNIT)), "Service");
        Map<String, String> env = envFile(SYSTEMD.resolve("build-worker.env"));
        assertThat(env.get("FLEET_STORE_DIR")).startsWith("/var/lib/" + worker.get("StateDirectory") + "/");
        assertThat(env.get("FLEET_WORK_DIR")).startsWith("/var/cache/" + worker.get("CacheDirectory") + "/");
    }

    @Test
    void environmentFilesNameOnlyVariablesTheProgramsRead() throws IOException {
        assertThat(envProblems("orchestrator", ORCHESTRATOR_UNIT, "orchestrator.env", orchestratorReads(),
                FleetChecks.ORCHESTRATOR_REQUIRED)).isEmpty();
        assertThat(envProblems("build worker", BUILD_WORKER_UNIT, "build-worker.env", buildWorkerReads(),
                FleetChecks.BUILD_WORKER_REQUIRED)).isEmpty();
    }

    @Test
    void aVariableNoProgramReadsIsReported(@TempDir Path dir) throws IOException {
        Path env = dir.resolve("orchestrator.env");
        Files.writeString(env, Files.readString(SYSTEMD.resolve("orchestrator.env"))
                .replace("FLEET_KAFKA_USERNAME=", "FLEET_KAFKA_USER=") + "\nJAVA_OPTIONS=-Xmx2g\n");
        assertThat(envProblems("orchestrator", ORCHESTRATOR_UNIT, env.toString(), orchestratorReads(),
                FleetChecks.ORCHESTRATOR_REQUIRED)).containsExactlyInAnyOrder(
                "orchestrator.env sets FLEET_KAFKA_USER, which the orchestrator does not read",
                "orchestrator.env sets JAVA_OPTIONS, which the orchestrator does not read",
                "orchestrator.env lacks " + KafkaClientSettings.USERNAME);
    }

    // --- helpers ---------------------------------------------------------------------------------------------------

    static Set<String> orchestratorReads() {
        return new HashSet<>(ProgramSettings.orchestratorReads());
    }

    static Set<String> buildWorkerReads() {
        return new HashSet<>(ProgramSettings.buildWorkerReads());
    }

    /**
     * {@code systemd-analyze verify} of both units, with the install prefix pointed at a copy of what is installed
     * there (verify checks that the command exists), after the {@code edits}; what it printed.
     */
    private static String verify(Path dir, Map<String, String> edits) throws Exception {
        Path analyze = Stream.of("/usr/bin/systemd-analyze", "/bin/systemd-analyze").map(Path::of)
                .filter(Files::isExecutable).findFirst().orElse(null);
        Assumptions.assumeTrue(analyze != null, "systemd-analyze is not installed here");
        Path prefix = dir.resolve("opt");
        Files.createDirectories(prefix.resolve("build-worker"));
        Path launcher = Files.copy(ProgramSettings.repoRoot().resolve("build-worker/bin/build-worker"),
                prefix.resolve("build-worker/build-worker"));
        assertThat(launcher.toFile().setExecutable(true)).isTrue();
        List<String> command = new ArrayList<>(List.of(analyze.toString(), "verify"));
        for (String unit : List.of(ORCHESTRATOR_UNIT, BUILD_WORKER_UNIT)) {
            String text = Files.readString(SYSTEMD.resolve(unit)).replace(PREFIX, prefix + "/");
            for (Map.Entry<String, String> e : edits.entrySet()) {
                text = text.replace(e.getKey(), e.getValue());
            }
            Path copy = Files.writeString(dir.resolve(unit), text);
            command.add(copy.toString());
        }
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        return output.strip();
    }

    private static List<String> envProblems(String program, String unit, String envFile, Set<String> reads,
                                            Set<String> required) throws IOException {
        Path file = envFile.startsWith("/") ? Path.of(envFile) : SYSTEMD.resolve(envFile);
        Map<String, String> env = envFile(file);
        Set<String> allowed = new HashSet<>(reads);
        Matcher m = Pattern.compile("\\$\\{?([A-Z][A-Z0-9_]*)").matcher(
                section(Files.readString(SYSTEMD.resolve(unit)), "Service").getOrDefault("ExecStart", ""));
        while (m.find()) {
            allowed.add(m.group(1));
        }
        List<String> problems = new ArrayList<>();
        String name = file.getFileName().toString();
        env.keySet().stream().filter(k -> !allowed.contains(k))
                .forEach(k -> problems.add(name + " sets " + k + ", which the " + program + " does not read"));
        required.stream().filter(k -> !env.containsKey(k) && !k.equals(KafkaClientSettings.TRUSTSTORE_PASSWORD))
                .forEach(k -> problems.add(name + " lacks " + k));
        return problems;
    }

    static Map<String, String> envFile(Path file) throws IOException {
        Map<String, String> env = new LinkedHashMap<>();
        for (String line : Files.readAllLines(file)) {
            line = line.strip();
            if (!line.isEmpty() && !line.startsWith("#")) {
                int eq = line.indexOf('=');
                env.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return env;
    }

    static Map<String, String> section(String unit, String name) {
        Map<String, String> entries = new LinkedHashMap<>();
        String current = null;
        for (String line : unit.split("\n")) {
            line = line.strip();
            if (line.startsWith("[")) {
                current = line.substring(1, line.length() - 1);
            } else if (name.equals(current) && !line.isEmpty() && !line.startsWith("#")) {
                int eq = line.indexOf('=');
                entries.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return entries;
    }
}
