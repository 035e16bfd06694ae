package io.wslfleet.orchestrator.support;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.wslfleet.embedded.FleetInfra;

import java.util.HashMap;
import java.util.Map;

/**
 * Points the orchestrator under test at the JVM's one real Kafka broker and PostgreSQL (started in-process by
 * {@link FleetInfra}, or external ones named by environment variables), with fast ticks so tests do not wait.
 */
public class FleetInfraResource implements QuarkusTestResourceLifecycleManager {
    public static final String ADMIN_PASSWORD = "test-admin";
    public static final String OPERATOR_PASSWORD = "test-operator";
    public static final String VIEWER_PASSWORD = "test-viewer";

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>(FleetInfra.shared().quarkusConfig());
        config.put("fleet.outbox.relay-every", "1s");
        config.put("fleet.rollout.tick-every", "1s");
        config.put("fleet.statistics-max-age", "0s"); // the tests read counts right after they change them
        config.put("fleet.security.admin-password", ADMIN_PASSWORD);
        config.put("fleet.security.operator-password", OPERATOR_PASSWORD);
        config.put("fleet.security.viewer-password", VIEWER_PASSWORD);
        config.put("fleet.trust.build-keys", Fixtures.BUILD_KEY_ID + "=" + Fixtures.buildPublicKey());
        config.put("fleet.trust.artifact-base-urls", Fixtures.ARTIFACT_BASE);
        config.put("fleet.command-signing.key-file", Fixtures.orchestratorKeyFile().toString());
        return config;
    }

    @Override
    public void stop() {
        // the infrastructure lives as long as the JVM; other test classes share it
    }
}
