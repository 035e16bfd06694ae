package io.wslfleet.agent;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import io.wslfleet.protocol.Contract;
import io.wslfleet.protocol.events.AgentId;
import io.wslfleet.protocol.events.AgentRegistered;
import io.wslfleet.protocol.trust.TrustedKeys;
import io.wslfleet.protocol.kafka.KafkaClientSettings;

/**
 * The agent's configuration: a machine-wide file {@code %ProgramData%\\WslFleet\\agent.properties} (or the file
 * {@code FLEET_AGENT_CONFIG} names) whose keys are the environment variables' names, and the environment variables,
 * which override the file. Per-user state goes to {@code %LOCALAPPDATA%\\WslFleet} unless
 * {@code FLEET_AGENT_STATE_DIR} says otherwise. The settings:
 * {@code FLEET_KAFKA_BOOTSTRAP}, {@code FLEET_AGENT_MACHINE_ID}, {@code FLEET_AGENT_WINDOWS_USER}, {@code FLEET_WSL_PATH},
 * {@code FLEET_TRUSTED_KEYS} ({@code keyId=base64,...}), {@code FLEET_AGENT_STATE_DIR}, {@code FLEET_AGENT_LABELS}
 * ({@code ring=canary,team=x}), {@code FLEET_HEARTBEAT_SECONDS} (60), {@code FLEET_DISTRO_NAME} (NixOS),
 * {@code FLEET_WSL_TIMEOUT_SECONDS} (120), {@code FLEET_VERIFY_TIMEOUT_SECONDS} (120),
 * {@code FLEET_TRUST_ORCHESTRATOR_KEYS} (required, {@code keyId=base64,...}: the keys whose signature makes a command
 * one the agent obeys), {@code FLEET_ENROLMENT_TOKEN} (optional, sent with every registration; never logged), the
 * bounds of the event contract ({@code FLEET_CONTRACT_MAX_RECORD_BYTES}, {@code FLEET_CONTRACT_MAX_PAST},
 * {@code FLEET_CONTRACT_MAX_FUTURE}, {@code FLEET_CONTRACT_MAX_SEQUENCE_JUMP}: {@link Contract#fromEnvironment}), and
 * the Kafka security variables of {@link KafkaClientSettings} ({@code FLEET_KAFKA_SECURITY_PROTOCOL},
 * {@code FLEET_KAFKA_USERNAME}, ...).
 */
public record AgentConfig(String kafkaBootstrap, String machineId, String windowsUser, Path wslPath,
                          String trustedKeys, Path stateDir, Map<String, String> labels, Duration heartbeat,
                          String distroName, Duration wslTimeout, Duration verifyTimeout,
                          Map<String, Object> kafkaSecurity, TrustedKeys orchestratorKeys, String enrolmentToken,
                          Contract contract) {

    public static final String TRUST_ORCHESTRATOR_KEYS = "FLEET_TRUST_ORCHESTRATOR_KEYS";
    public static final String ENROLMENT_TOKEN = "FLEET_ENROLMENT_TOKEN";

    public String agentId() {
        return AgentId.of(machineId, windowsUser);
    }

    /** The file's settings overlaid with the environment's. */
    public static AgentConfig load(Map<String, String> env) {
        return fromEnv(merged(env));
    }

    static Map<String, String> merged(Map<String, String> env) {
        Map<String, String> all = new java.util.HashMap<>();
        Path file = configFile(env);
        if (file != null && java.nio.file.Files.isRegularFile(file)) {
            java.util.Properties p = new java.util.Properties();
            try (var in = java.nio.file.Files.newBufferedReader(file, java.nio.charset.StandardCharsets.UTF_8)) {
                p.load(in);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot read " + file, e);
            }
            p.stringPropertyNames().forEach(k -> all.put(k, p.getProperty(k).trim()));
        }
        all.putAll(env);
        return all;
    }

    static Path configFile(Map<String, String> env) {
        if (env.get("FLEET_AGENT_CONFIG") != null) {
            return Path.of(env.get("FLEET_AGENT_CONFIG"));
        }
        String programData = env.get("ProgramData") != null ? env.get("ProgramData") : env.get("PROGRAMDATA");
        return programData == null ? null : Path.of(programData, "WslFleet", "agent.properties");
    }

    static Path defaultStateDir(Map<String, String> env) {
        String local = env.get("LOCALAPPDATA");
        return local == null ? Path.of("wsl-fleet-agent") : Path.of(local, "WslFleet");
    }

    public static AgentConfig fromEnv(Map<String, String> env) {
        String machine = require(env, "FLEET_AGENT_MACHINE_ID",
                env.getOrDefault("COMPUTERNAME", env.getOrDefault("HOSTNAME", null)));
        String user = require(env, "FLEET_AGENT_WINDOWS_USER", env.getOrDefault("USERNAME", env.get("USER")));
        return new AgentConfig(
                env.getOrDefault("FLEET_KAFKA_BOOTSTRAP", "localhost:9092"),
                machine, user,
                Path.of(env.getOrDefault("FLEET_WSL_PATH", "C:\\Windows\\System32\\wsl.exe")),
                require(env, "FLEET_TRUSTED_KEYS", null),
                env.containsKey("FLEET_AGENT_STATE_DIR") ? Path.of(env.get("FLEET_AGENT_STATE_DIR")) : defaultStateDir(env),
                parseLabels(env.getOrDefault("FLEET_AGENT_LABELS", "")),
                Duration.ofSeconds(Long.parseLong(env.getOrDefault("FLEET_HEARTBEAT_SECONDS", "60"))),
                env.getOrDefault("FLEET_DISTRO_NAME", "NixOS"),
                Duration.ofSeconds(Long.parseLong(env.getOrDefault("FLEET_WSL_TIMEOUT_SECONDS", "120"))),
                Duration.ofSeconds(Long.parseLong(env.getOrDefault("FLEET_VERIFY_TIMEOUT_SECONDS", "120"))),
                KafkaClientSettings.security(env),
                orchestratorKeys(env.get(TRUST_ORCHESTRATOR_KEYS)),
                enrolmentToken(env.get(ENROLMENT_TOKEN)),
                Contract.fromEnvironment(env));
    }

    /** The trusted orchestrator keys: required, since an agent without them could obey no command at all. */
    static TrustedKeys orchestratorKeys(String spec) {
        TrustedKeys keys;
        try {
            keys = TrustedKeys.parse(spec);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(TRUST_ORCHESTRATOR_KEYS + " is not a list of keyId=base64 Ed25519 "
                    + "public keys: " + e.getMessage(), e);
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException(TRUST_ORCHESTRATOR_KEYS + " is not set: the agent obeys only commands "
                    + "signed by a key listed there (keyId=base64 X.509 Ed25519 public key, comma-separated)");
        }
        return keys;
    }

    private static String enrolmentToken(String token) {
        if (token == null || token.isBlank()) {
            return null;
        }
        String trimmed = token.trim();
        if (trimmed.length() > AgentRegistered.MAX_TOKEN_CHARS || !trimmed.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new IllegalArgumentException(ENROLMENT_TOKEN + " must be at most " + AgentRegistered.MAX_TOKEN_CHARS
                    + " printable ASCII characters (<token id>.<secret>)");
        }
        return trimmed;
    }

    /** Without the enrolment token and the Kafka credentials: a configuration may be logged, they never are. */
    @Override
    public String toString() {
        return "AgentConfig[agentId=" + agentId() + ", kafka=" + kafkaBootstrap + ", wsl=" + wslPath + ", state="
                + stateDir + ", labels=" + labels + ", orchestratorKeys=" + orchestratorKeys.ids()
                + ", enrolmentToken=" + (enrolmentToken == null ? "none" : "set") + "]";
    }

    static Map<String, String> parseLabels(String spec) {
        Map<String, String> labels = new LinkedHashMap<>();
        for (String part : spec.split(",")) {
            int eq = part.indexOf('=');
            if (eq > 0) {
                labels.put(part.substring(0, eq).trim(), part.substring(eq + 1).trim());
            }
        }
        return labels;
    }

    private static String require(Map<String, String> env, String name, String fallback) {
        String v = env.get(name);
        if (v != null && !v.isBlank()) {
            return v;
        }
        if (fallback != null && !fallback.isBlank()) {
            return fallback;
        }
        throw new IllegalArgumentException(name + " is not set");
    }
}
