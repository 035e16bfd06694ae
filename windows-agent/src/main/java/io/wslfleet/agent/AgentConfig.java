package io.wslfleet.agent;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import io.wslfleet.protocol.events.AgentId;
import io.wslfleet.protocol.kafka.KafkaClientSettings;

/**
 * The agent's configuration, from environment variables:
 * {@code FLEET_KAFKA_BOOTSTRAP}, {@code FLEET_AGENT_MACHINE_ID}, {@code FLEET_AGENT_WINDOWS_USER}, {@code FLEET_WSL_PATH},
 * {@code FLEET_TRUSTED_KEYS} ({@code keyId=base64,...}), {@code FLEET_AGENT_STATE_DIR}, {@code FLEET_AGENT_LABELS}
 * ({@code ring=canary,team=x}), {@code FLEET_HEARTBEAT_SECONDS} (60), {@code FLEET_DISTRO_NAME} (NixOS),
 * {@code FLEET_WSL_TIMEOUT_SECONDS} (120), {@code FLEET_VERIFY_TIMEOUT_SECONDS} (120), and the Kafka security
 * variables of {@link KafkaClientSettings} ({@code FLEET_KAFKA_SECURITY_PROTOCOL}, {@code FLEET_KAFKA_USERNAME}, ...).
 */
public record AgentConfig(String kafkaBootstrap, String machineId, String windowsUser, Path wslPath,
                          String trustedKeys, Path stateDir, Map<String, String> labels, Duration heartbeat,
                          String distroName, Duration wslTimeout, Duration verifyTimeout,
                          Map<String, Object> kafkaSecurity) {

    public String agentId() {
        return AgentId.of(machineId, windowsUser);
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
                Path.of(env.getOrDefault("FLEET_AGENT_STATE_DIR", "wsl-fleet-agent")),
                parseLabels(env.getOrDefault("FLEET_AGENT_LABELS", "")),
                Duration.ofSeconds(Long.parseLong(env.getOrDefault("FLEET_HEARTBEAT_SECONDS", "60"))),
                env.getOrDefault("FLEET_DISTRO_NAME", "NixOS"),
                Duration.ofSeconds(Long.parseLong(env.getOrDefault("FLEET_WSL_TIMEOUT_SECONDS", "120"))),
                Duration.ofSeconds(Long.parseLong(env.getOrDefault("FLEET_VERIFY_TIMEOUT_SECONDS", "120"))),
                KafkaClientSettings.security(env));
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
