package io.wslfleet.buildworker;

import java.nio.file.Path;
import java.security.PrivateKey;
import java.util.Map;
import java.util.Objects;

import io.wslfleet.protocol.trust.TrustedKeys;

/**
 * @param kafkaBootstrap broker list
 * @param storeDir       the artifact store's directory
 * @param workDir        scratch space for builds
 * @param httpHost       the artifact server's bind address
 * @param httpPort       its port (0: any free port)
 * @param publicBaseUrl  the URL agents reach the artifact server at (null: {@code http://httpHost:port})
 * @param keyId          the id of the signing key, as agents' trust lists name it
 * @param signingKey     Ed25519 private key
 * @param source         the CloudEvents source of what this worker publishes
 * @param nixPath        the {@code nix} program for FLAKE builds
 * @param buildTimeout   how long a {@code nix build} (and the tarball builder) may take
 * @param kafkaSecurity  Kafka client security properties ({@code KafkaClientSettings.security}; empty: PLAINTEXT)
 * @param orchestratorKeys the keys a build request must be signed with ({@code FLEET_TRUST_ORCHESTRATOR_KEYS}):
 *                       required, the worker builds nothing else
 */
public record BuildWorkerConfig(String kafkaBootstrap, Path storeDir, Path workDir, String httpHost, int httpPort,
                                String publicBaseUrl, String keyId, PrivateKey signingKey, String source,
                                String nixPath, java.time.Duration buildTimeout, Map<String, Object> kafkaSecurity,
                                TrustedKeys orchestratorKeys) {

    public static final String TRUST_ORCHESTRATOR_KEYS = "FLEET_TRUST_ORCHESTRATOR_KEYS";

    public BuildWorkerConfig {
        Objects.requireNonNull(kafkaBootstrap, "kafkaBootstrap");
        Objects.requireNonNull(storeDir, "storeDir");
        Objects.requireNonNull(workDir, "workDir");
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(signingKey, "signingKey");
        if (orchestratorKeys == null || orchestratorKeys.isEmpty()) {
            throw new IllegalArgumentException(TRUST_ORCHESTRATOR_KEYS + " is not set: the build worker builds only "
                    + "requests signed by a key listed there (keyId=base64 X.509 Ed25519 public key, comma-separated)");
        }
        httpHost = httpHost == null ? "127.0.0.1" : httpHost;
        source = source == null ? "urn:wsl-fleet:build-worker" : source;
        nixPath = nixPath == null ? "nix" : nixPath;
        buildTimeout = buildTimeout == null ? java.time.Duration.ofHours(2) : buildTimeout;
        kafkaSecurity = kafkaSecurity == null ? Map.of() : Map.copyOf(kafkaSecurity);
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private String kafkaBootstrap;
        private Path storeDir;
        private Path workDir;
        private String httpHost = "127.0.0.1";
        private int httpPort;
        private String publicBaseUrl;
        private String keyId;
        private PrivateKey signingKey;
        private String source;
        private String nixPath;
        private java.time.Duration buildTimeout;
        private Map<String, Object> kafkaSecurity;
        private TrustedKeys orchestratorKeys;

        /** The orchestrator keys whose signature makes a build request one the worker builds. */
        public Builder orchestratorKeys(TrustedKeys v) {
            orchestratorKeys = v;
            return this;
        }

        /** The same from {@code keyId=base64,...}, as {@code FLEET_TRUST_ORCHESTRATOR_KEYS} holds it. */
        public Builder orchestratorKeys(String spec) {
            try {
                orchestratorKeys = TrustedKeys.parse(spec);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(TRUST_ORCHESTRATOR_KEYS + " is not a list of keyId=base64 Ed25519 "
                        + "public keys: " + e.getMessage(), e);
            }
            return this;
        }

        /** Security settings for the Kafka clients, e.g. {@code KafkaClientSettings.security(System.getenv())}. */
        public Builder kafkaSecurity(Map<String, Object> v) {
            kafkaSecurity = v;
            return this;
        }

        public Builder nixPath(String v) {
            nixPath = v;
            return this;
        }

        public Builder buildTimeout(java.time.Duration v) {
            buildTimeout = v;
            return this;
        }

        public Builder kafkaBootstrap(String v) {
            kafkaBootstrap = v;
            return this;
        }

        public Builder storeDir(Path v) {
            storeDir = v;
            return this;
        }

        public Builder workDir(Path v) {
            workDir = v;
            return this;
        }

        public Builder httpHost(String v) {
            httpHost = v;
            return this;
        }

        public Builder httpPort(int v) {
            httpPort = v;
            return this;
        }

        public Builder publicBaseUrl(String v) {
            publicBaseUrl = v;
            return this;
        }

        public Builder signingKey(String id, PrivateKey key) {
            keyId = id;
            signingKey = key;
            return this;
        }

        public Builder source(String v) {
            source = v;
            return this;
        }

        public BuildWorkerConfig build() {
            return new BuildWorkerConfig(kafkaBootstrap, storeDir, workDir, httpHost, httpPort, publicBaseUrl, keyId,
                    signingKey, source, nixPath, buildTimeout, kafkaSecurity, orchestratorKeys);
        }
    }
}
