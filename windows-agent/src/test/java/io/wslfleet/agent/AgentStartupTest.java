package io.wslfleet.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.wslfleet.protocol.release.Ed25519;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code windows-agent run} as its own process refuses to start, saying why, when it could not be trusted to run. */
class AgentStartupTest {

    @TempDir
    Path tmp;

    private record Exit(int code, String output) {
    }

    private Exit run(Map<String, String> settings) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), AgentMain.class.getName(), "run")
                .redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("FLEET_"));
        pb.environment().putAll(Map.of("FLEET_KAFKA_BOOTSTRAP", "127.0.0.1:1", "FLEET_AGENT_MACHINE_ID", "ws-s",
                "FLEET_AGENT_WINDOWS_USER", "dev", "FLEET_TRUSTED_KEYS", "k1=" + Ed25519.encode(Ed25519.generate().getPublic()),
                "FLEET_AGENT_STATE_DIR", tmp.resolve("state").toString(),
                "FLEET_AGENT_CONFIG", tmp.resolve("no-such-agent.properties").toString()));
        pb.environment().putAll(settings);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Exit(p.exitValue(), output);
    }

    @Test
    void withoutTrustedOrchestratorKeysTheAgentExitsNamingTheSetting() throws Exception {
        Exit exit = run(Map.of());
        assertThat(exit.code()).as(exit.output()).isEqualTo(2);
        assertThat(exit.output()).contains("cannot start: FLEET_TRUST_ORCHESTRATOR_KEYS is not set");
    }

    @Test
    void withACorruptIdentityKeyTheAgentExitsAndKeepsTheFile() throws Exception {
        Path key = tmp.resolve("state").resolve(AgentIdentity.KEY_FILE);
        Files.createDirectories(key.getParent());
        Files.writeString(key, "garbage");
        Exit exit = run(Map.of("FLEET_TRUST_ORCHESTRATOR_KEYS", "orch-1=" + Ed25519.encode(Ed25519.generate().getPublic()),
                "FLEET_ENROLMENT_TOKEN", "tok-1.never-logged-secret"));
        assertThat(exit.code()).as(exit.output()).isEqualTo(2);
        assertThat(exit.output()).contains("cannot start: the agent's identity key " + key + " cannot be read")
                .doesNotContain("never-logged-secret");
        assertThat(Files.readString(key)).isEqualTo("garbage");
        assertThat(Files.readString(tmp.resolve("state/logs/agent.0.log"))).doesNotContain("never-logged-secret");
    }
}
