package io.wslfleet.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import io.wslfleet.wslstandin.StandInLauncher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code windows-agent install|uninstall} as its own process against the stand-in schtasks.exe. */
class InstallTest {

    @TempDir
    Path tmp;

    private record Run(int exit, String output) {
    }

    private Run agent(Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                AgentMain.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Run(p.waitFor(), out);
    }

    @Test
    void installRegistersAHiddenLogonTaskWithoutTimeLimitAndUninstallRemovesIt() throws Exception {
        Path schtasksState = tmp.resolve("schtasks");
        Path schtasks = StandInLauncher.installSchtasks(tmp.resolve("bin"), schtasksState);
        Path local = tmp.resolve("AppData Local");
        Map<String, String> env = Map.of("LOCALAPPDATA", local.toString(), "USERDOMAIN", "CORP", "USERNAME", "dev");

        Run installed = agent(env, "install", "--schtasks", schtasks.toString(), "--jar", "C:\\Program Files\\WslFleet\\agent.jar");
        assertThat(installed.exit()).as(installed.output()).isZero();
        assertThat(installed.output()).contains("SUCCESS: The scheduled task \"WSL Fleet Agent\" has successfully been created.");
        String calls = Files.readString(schtasksState.resolve("calls.log"));
        assertThat(calls).startsWith("/Create /TN WSL Fleet Agent /XML " + local.resolve("WslFleet").resolve("agent-task.xml"))
                .contains("/F");
        byte[] xml = Files.readAllBytes(schtasksState.resolve("tasks/WSL Fleet Agent.xml"));
        String text = new String(xml, 2, xml.length - 2, StandardCharsets.UTF_16LE);
        assertThat(text).contains("<UserId>CORP\\dev</UserId>").contains("<ExecutionTimeLimit>PT0S</ExecutionTimeLimit>")
                .contains("<Hidden>true</Hidden>").contains("-Xmx48m")
                .contains("-jar &quot;C:\\Program Files\\WslFleet\\agent.jar&quot; run");

        Run removed = agent(env, "uninstall", "--schtasks", schtasks.toString());
        assertThat(removed.exit()).as(removed.output()).isZero();
        assertThat(schtasksState.resolve("tasks/WSL Fleet Agent.xml")).doesNotExist();
        Run again = agent(env, "uninstall", "--schtasks", schtasks.toString());
        assertThat(again.exit()).isNotZero();
        assertThat(again.output()).contains("The system cannot find the file specified.");
    }

    @Test
    void theStandInSchtasksRefusesATaskThatWouldStopAfter72Hours() throws Exception {
        ScheduledTask task = new ScheduledTask(StandInLauncher.installSchtasks(tmp.resolve("bin"), tmp.resolve("s")),
                "t");
        String good = task.xml("CORP\\dev", new ScheduledTask.Action("javaw.exe", List.of("-jar", "a.jar", "run"), "C:\\x"));
        assertThat(io.wslfleet.wslstandin.SchtasksStandIn.problem(withBom(good))).isNull();
        String limited = good.replace("<ExecutionTimeLimit>PT0S</ExecutionTimeLimit>",
                "<ExecutionTimeLimit>PT72H</ExecutionTimeLimit>");
        assertThat(io.wslfleet.wslstandin.SchtasksStandIn.problem(withBom(limited))).contains("PT0S");
        assertThat(io.wslfleet.wslstandin.SchtasksStandIn.problem(good.getBytes(StandardCharsets.UTF_8)))
                .contains("byte order mark");
    }

    private static byte[] withBom(String s) {
        byte[] body = s.getBytes(StandardCharsets.UTF_16LE);
        byte[] out = new byte[body.length + 2];
        out[0] = (byte) 0xff;
        out[1] = (byte) 0xfe;
        System.arraycopy(body, 0, out, 2, body.length);
        return out;
    }

    @Test
    void theEnvironmentOverridesTheMachineWideFileAndStateGoesToLocalAppData() throws Exception {
        Path programData = tmp.resolve("ProgramData");
        Files.createDirectories(programData.resolve("WslFleet"));
        Files.writeString(programData.resolve("WslFleet/agent.properties"), """
                FLEET_KAFKA_BOOTSTRAP=kafka.corp:9093
                FLEET_TRUSTED_KEYS=k1=abc
                FLEET_TRUST_ORCHESTRATOR_KEYS=orch-1=%s
                FLEET_ENROLMENT_TOKEN=tok-1.s3cret-enrolment
                FLEET_AGENT_LABELS=ring=broad
                """.formatted(ORCHESTRATOR_PUBLIC));
        AgentConfig config = AgentConfig.load(Map.of("ProgramData", programData.toString(),
                "LOCALAPPDATA", tmp.resolve("local").toString(), "COMPUTERNAME", "WS1", "USERNAME", "dev",
                "FLEET_AGENT_LABELS", "ring=canary"));
        assertThat(config.kafkaBootstrap()).isEqualTo("kafka.corp:9093");
        assertThat(config.labels()).containsEntry("ring", "canary");
        assertThat(config.stateDir()).isEqualTo(tmp.resolve("local").resolve("WslFleet"));
        assertThat(config.orchestratorKeys().ids()).containsExactly("orch-1");
        assertThat(config.enrolmentToken()).isEqualTo("tok-1.s3cret-enrolment");
        assertThat(config.toString()).doesNotContain("s3cret");
    }

    @Test
    void theContractBoundsComeFromTheFileLikeEverySetting() throws Exception {
        Path file = tmp.resolve("contract-agent.properties");
        Files.writeString(file, """
                FLEET_CONTRACT_MAX_RECORD_BYTES=65536
                FLEET_CONTRACT_MAX_FUTURE=PT1M
                FLEET_CONTRACT_MAX_PAST=P2D
                """);
        Map<String, String> env = minimal(ORCHESTRATOR_PUBLIC_ENTRY);
        env.put("FLEET_AGENT_CONFIG", file.toString());
        env.put("FLEET_CONTRACT_MAX_PAST", "P7D");
        io.wslfleet.protocol.Contract contract = AgentConfig.load(env).contract();
        assertThat(contract.maxRecordBytes()).isEqualTo(65536);
        assertThat(contract.maxFuture()).isEqualTo(java.time.Duration.ofMinutes(1));
        assertThat(contract.maxPast()).as("the environment overrides the file").isEqualTo(java.time.Duration.ofDays(7));
        assertThat(contract.maxSequenceJump()).isEqualTo(io.wslfleet.protocol.Contract.DEFAULT_MAX_SEQUENCE_JUMP);
    }

    private static final String ORCHESTRATOR_PUBLIC =
            io.wslfleet.protocol.release.Ed25519.encode(io.wslfleet.protocol.release.Ed25519.generate().getPublic());

    private static final String ORCHESTRATOR_PUBLIC_ENTRY = "orch-1=" + ORCHESTRATOR_PUBLIC;

    private static Map<String, String> minimal(String orchestratorKeys) {
        Map<String, String> env = new java.util.HashMap<>(Map.of("FLEET_AGENT_MACHINE_ID", "ws1",
                "FLEET_AGENT_WINDOWS_USER", "dev", "FLEET_TRUSTED_KEYS", "k1=abc"));
        if (orchestratorKeys != null) {
            env.put("FLEET_TRUST_ORCHESTRATOR_KEYS", orchestratorKeys);
        }
        return env;
    }

    @Test
    void withoutTrustedOrchestratorKeysTheAgentDoesNotStart() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> AgentConfig.fromEnv(minimal(null)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("FLEET_TRUST_ORCHESTRATOR_KEYS is not set");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> AgentConfig.fromEnv(minimal(" , ")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("FLEET_TRUST_ORCHESTRATOR_KEYS is not set");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> AgentConfig.fromEnv(minimal("orch-1=not-a-key")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("FLEET_TRUST_ORCHESTRATOR_KEYS is not a list");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> AgentConfig.fromEnv(minimal(ORCHESTRATOR_PUBLIC)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("FLEET_TRUST_ORCHESTRATOR_KEYS is not a list");
        assertThat(AgentConfig.fromEnv(minimal("a=" + ORCHESTRATOR_PUBLIC + ",b=" + ORCHESTRATOR_PUBLIC))
                .orchestratorKeys().ids()).containsExactlyInAnyOrder("a", "b");
    }
}
