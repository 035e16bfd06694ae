package io.wslfleet.sandbox.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.wslfleet.embedded.FleetInfra;

/**
 * Not a test: loads 1,000,000 machines (the first argument) into PostgreSQL behind the packaged orchestrator and measures the dashboard's
 * overview and machine list (first page, a search, a health filter, a deep page) as a browser would call them.
 * Writes {@code docs/benchmarks/dashboard.md}.
 *
 * <pre>./mvnw -q package -DskipTests &amp;&amp; ./mvnw -q -pl deploy/sandbox test-compile exec:java \
 *   -Dexec.mainClass=io.wslfleet.sandbox.bench.DashboardBenchmark -Dexec.classpathScope=test</pre>
 */
public final class DashboardBenchmark {

    public static void main(String[] args) throws Exception {
        int machines = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int rounds = 20;
        try (BenchOrchestrator orchestrator = BenchOrchestrator.start("dashboard-bench", "-Xmx512m", 18000)) {
            FleetInfra infra = orchestrator.infra;
            Path root = orchestrator.root;
            HttpClient http = HttpClient.newHttpClient();
            String auth = "Basic " + Base64.getEncoder().encodeToString(("admin:" + BenchOrchestrator.PASSWORD)
                    .getBytes(StandardCharsets.UTF_8));
            String base = "http://127.0.0.1:" + orchestrator.port;
            long loadStart = System.nanoTime();
            load(infra, machines);
            double loadSeconds = (System.nanoTime() - loadStart) / 1e9;

            Map<String, String> pages = new LinkedHashMap<>();
            pages.put("overview `/`", "/");
            pages.put("machine list, first page", "/ui/machines");
            pages.put("machine list, search `ws-04217`", "/ui/machines?q=ws-04217");
            pages.put("machine list, search `04217` (inside the id)", "/ui/machines?q=04217");
            pages.put("machine list, health `degraded`", "/ui/machines?health=degraded");
            pages.put("machine list, page 1000", "/ui/machines?page=1000");
            pages.put("API `GET /api/v1/machines?size=50`", "/api/v1/machines?size=50");
            StringBuilder table = new StringBuilder("| Page | median ms | p95 ms | max ms | load |\n|---|---:|---:|---:|---:|\n");
            for (var page : pages.entrySet()) {
                List<Long> times = new ArrayList<>();
                for (int i = 0; i < rounds + 3; i++) {
                    long t0 = System.nanoTime();
                    HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(base + page.getValue()))
                            .header("Authorization", auth).build(), HttpResponse.BodyHandlers.ofByteArray());
                    long ms = (System.nanoTime() - t0) / 1_000_000;
                    if (r.statusCode() != 200) {
                        throw new IllegalStateException(page.getValue() + " answered " + r.statusCode());
                    }
                    if (i >= 3) {
                        times.add(ms);
                    }
                }
                times.sort(Long::compare);
                table.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %.2f |%n", page.getKey(),
                        times.get(times.size() / 2), times.get((int) Math.ceil(times.size() * 0.95) - 1),
                        times.get(times.size() - 1), OrchestratorBenchmark.load()));
            }
            String report = "# Dashboard benchmark\n\n"
                    + "Measured " + Instant.now() + " at commit `" + OrchestratorBenchmark.commit(root)
                    + "` on this project's machine "
                    + "class (2 cores), by `" + DashboardBenchmark.class.getName() + "` (see its Javadoc for the "
                    + "command). The times are the client's, over loopback, so they hold the server's whole answer: "
                    + "its queries, the page rendered and sent. The load column is the one-minute load average "
                    + "(`/proc/loadavg`) after each page's requests.\n\n"
                    + String.format(Locale.ROOT, "%,d machines loaded into PostgreSQL 17 (embedded) in %.1f s; "
                    + "the packaged orchestrator (`quarkus-run.jar`, -Xmx512m) answers over HTTP with Basic auth. "
                    + "Each page fetched %d times after 3 warm-up requests, one at a time.%n%n", machines, loadSeconds, rounds)
                    + table
                    + "\nGoal (issue #13): overview and machine list within 300 ms of server time with 1,000,000 "
                    + "machines. The fleet counts (by health, release, WSL version; the filters' choices) come from "
                    + "one pass over the machine table shared for `fleet.statistics-max-age` (5 s) and renewed in "
                    + "the background while pages ask: a page waits for a pass only when the last one is older than "
                    + "six times that. The pass still competes for the two cores with the pages it serves.\n";
            Path out = root.resolve("docs/benchmarks/dashboard.md");
            Files.createDirectories(out.getParent());
            Files.writeString(out, report);
            System.out.println(report);
        }
    }

    /** Batched multi-row inserts: healthy, degraded, failed and silent machines on a few releases and WSL versions. */
    private static void load(FleetInfra infra, int machines) throws Exception {
        try (Connection c = DriverManager.getConnection(infra.jdbcUrl(), infra.dbUser(), infra.dbPassword())) {
            c.setAutoCommit(false);
            String[] health = {"healthy", "healthy", "healthy", "healthy", "healthy", "healthy", "healthy", "degraded", "failed", "unknown"};
            String[] wsl = {"2.5.9.0", "2.4.13.0", "2.3.26.0", "inbox"};
            Instant now = Instant.now();
            try (PreparedStatement ps = c.prepareStatement("""
                    insert into machine (id, machine_id, windows_user, hostname, wsl_version, ring, labels, distro_name,
                      distro_state, health_state, current_generation, current_system_path, current_release_id,
                      last_sequence, registered_at, last_seen_at, enrolment)
                    values (?, ?, 'dev', ?, ?, ?, '{}', 'NixOS', 'Running', ?, ?, ?, ?, 1, ?, ?, 'ACCEPTED')""")) {
                for (int i = 0; i < machines; i++) {
                    String m = String.format("ws-%06d", i);
                    ps.setString(1, m + "/dev");
                    ps.setString(2, m);
                    ps.setString(3, m);
                    ps.setString(4, wsl[i % wsl.length]);
                    ps.setString(5, i % 100 == 0 ? "canary" : "broad");
                    ps.setString(6, health[i % health.length]);
                    ps.setInt(7, 1 + i % 3);
                    ps.setString(8, "/nix/store/" + "x".repeat(32) + "-nixos-system-ws-25.05." + (i % 3));
                    ps.setString(9, "rel-25.05." + (i % 3));
                    ps.setTimestamp(10, Timestamp.from(now));
                    ps.setTimestamp(11, Timestamp.from(i % 50 == 0 ? now.minusSeconds(3600) : now));
                    ps.addBatch();
                    if (i % 5000 == 4999) {
                        ps.executeBatch();
                    }
                }
                ps.executeBatch();
            }
            c.commit();
            try (var s = c.createStatement()) {
                s.execute("analyze machine");
            }
        }
    }
}
