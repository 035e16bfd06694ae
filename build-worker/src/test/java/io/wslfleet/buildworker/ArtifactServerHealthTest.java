package io.wslfleet.buildworker;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code /healthz} says whether the worker still consumes, not only whether its HTTP server answers. */
class ArtifactServerHealthTest {
    @TempDir
    Path store;

    @Test
    void healthFollowsTheConsumerLoop() throws Exception {
        AtomicBoolean consuming = new AtomicBoolean(true);
        ArtifactServer server = new ArtifactServer(new ArtifactStore(store), "127.0.0.1", 0, null);
        try {
            server.healthCheck(consuming::get);
            HttpClient http = HttpClient.newHttpClient();
            URI healthz = URI.create(server.baseUrl() + "/healthz");
            HttpResponse<String> up = http.send(HttpRequest.newBuilder(healthz).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(up.statusCode()).isEqualTo(200);
            assertThat(up.body()).isEqualTo("{\"status\":\"UP\",\"consuming\":true}");
            consuming.set(false);
            HttpResponse<String> down = http.send(HttpRequest.newBuilder(healthz).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(down.statusCode()).isEqualTo(503);
            assertThat(down.body()).contains("DOWN");
            assertThat(http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/healthzzz")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode()).isNotEqualTo(200);
        } finally {
            server.close();
        }
    }
}
