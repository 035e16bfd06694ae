package io.wslfleet.buildworker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The download URL a worker publishes is one an agent can reach. */
class ArtifactServerTest {

    @TempDir
    Path tmp;

    @Test
    void aServerOnAWildcardAddressNeedsAPublicUrlRatherThanPublishingZeroZeroZeroZero() throws Exception {
        ArtifactStore store = new ArtifactStore(tmp.resolve("store"));
        for (String wildcard : new String[] {"0.0.0.0", "::"}) {
            assertThatThrownBy(() -> new ArtifactServer(store, wildcard, 0, null))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("FLEET_ARTIFACT_PUBLIC_URL");
        }
        try (var server = new ArtifactServer(store, "0.0.0.0", 0, "https://artifacts.example.com/")) {
            assertThat(server.urlOf("ab".repeat(32)))
                    .isEqualTo("https://artifacts.example.com/artifacts/" + "ab".repeat(32) + "/nixos.wsl");
        }
        try (var server = new ArtifactServer(store, "127.0.0.1", 0, null)) {
            assertThat(server.baseUrl()).matches("http://127\\.0\\.0\\.1:\\d+").doesNotContain(":0");
        }
    }
}
