package io.wslfleet.buildworker;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * Serves the store over HTTP: {@code GET|HEAD /artifacts/<sha256>/nixos.wsl} (and {@code manifest.json}). Answers
 * carry {@code Content-Length}, {@code ETag} (the sha256 of the bytes served, quoted) and {@code Accept-Ranges: bytes}.
 * An archive's URL names its content, so it is served {@code Cache-Control: public, max-age=31536000, immutable}: any
 * HTTP cache or CDN in front of the store may keep it for good, and a branch office's proxy serves a wave once. The
 * manifest is small and revalidated ({@code no-cache}). A single
 * {@code Range: bytes=a-b} (or {@code a-}, or {@code -n}) gives 206 with {@code Content-Range}, an unsatisfiable
 * one 416, so an agent's interrupted download resumes where it stopped.
 */
public final class ArtifactServer implements AutoCloseable {

    private static final Pattern PATH = Pattern.compile("/artifacts/([0-9a-f]{64})/(nixos\\.wsl|manifest\\.json)");
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d*)-(\\d*)");

    private final HttpServer server;
    private final ExecutorService executor;
    private final ArtifactStore store;
    private final String baseUrl;

    /**
     * @param publicBaseUrl the URL agents reach this server at; required when {@code host} is a wildcard address
     *                      ({@code 0.0.0.0}, {@code ::}), which is no address an agent can download from; null
     *                      otherwise means {@code http://host:port}
     */
    public ArtifactServer(ArtifactStore store, String host, int port, String publicBaseUrl) throws IOException {
        if ((publicBaseUrl == null || publicBaseUrl.isBlank()) && isWildcard(host)) {
            throw new IllegalArgumentException("the artifact server listens on " + host + ", which no agent can"
                    + " download from: give the URL agents reach it at (--public-url / FLEET_ARTIFACT_PUBLIC_URL,"
                    + " e.g. https://artifacts.example.com), or bind to one address (--host)");
        }
        if (publicBaseUrl != null && publicBaseUrl.isBlank()) {
            publicBaseUrl = null;
        }
        this.store = store;
        this.server = HttpServer.create(new InetSocketAddress(host, port), 50);
        this.executor = Executors.newFixedThreadPool(8, r -> {
            Thread t = new Thread(r, "artifact-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/artifacts/", this::handle);
        server.createContext("/healthz", this::health);
        server.start();
        this.baseUrl = publicBaseUrl != null ? stripSlash(publicBaseUrl)
                : "http://" + host + ":" + server.getAddress().getPort();
    }

    /**
     * What {@code GET /healthz} reports besides the server answering at all: the worker's consumer loop alive (a
     * worker whose loop stopped still serves downloads, but builds nothing: its liveness probe restarts it).
     */
    public void healthCheck(java.util.function.BooleanSupplier consuming) {
        this.consuming = consuming;
    }

    private volatile java.util.function.BooleanSupplier consuming = () -> true;

    private void health(HttpExchange exchange) throws IOException {
        try (exchange) {
            boolean up = exchange.getRequestURI().getPath().equals("/healthz") && consuming.getAsBoolean();
            byte[] body = ("{\"status\":\"" + (up ? "UP" : "DOWN") + "\",\"consuming\":" + up + "}")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.getResponseHeaders().add("Cache-Control", "no-store");
            boolean head = exchange.getRequestMethod().equals("HEAD");
            exchange.sendResponseHeaders(up ? 200 : 503, head ? -1 : body.length);
            if (!head) {
                exchange.getResponseBody().write(body);
            }
        }
    }

    /** The URL of an artifact as agents download it. */
    public String urlOf(String sha256) {
        return baseUrl + "/artifacts/" + sha256 + "/" + ArtifactStore.ARTIFACT;
    }

    public String baseUrl() {
        return baseUrl;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().add("Allow", "GET, HEAD");
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            Matcher m = PATH.matcher(exchange.getRequestURI().getPath());
            Optional<Path> file = m.matches() ? store.artifact(m.group(1)) : Optional.empty();
            if (file.isPresent() && m.group(2).equals("manifest.json")) {
                file = Optional.of(file.get().resolveSibling("manifest.json"));
            }
            if (file.isEmpty() || !Files.isRegularFile(file.get())) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            long length = Files.size(file.get());
            var headers = exchange.getResponseHeaders();
            boolean archive = m.group(2).equals("nixos.wsl");
            String etag = "\"" + (archive ? m.group(1) : sha256(Files.readAllBytes(file.get()))) + "\"";
            headers.add("ETag", etag);
            headers.add("Cache-Control", archive ? "public, max-age=31536000, immutable" : "no-cache");
            headers.add("Accept-Ranges", "bytes");
            headers.add("Content-Type", m.group(2).endsWith(".json") ? "application/json" : "application/gzip");
            long from = 0;
            long to = length - 1;
            int status = 200;
            String range = exchange.getRequestHeaders().getFirst("Range");
            String ifRange = exchange.getRequestHeaders().getFirst("If-Range");
            if (range != null && (ifRange == null || ifRange.equals(etag))) {
                Matcher r = RANGE.matcher(range.trim());
                if (!r.matches() || (r.group(1).isEmpty() && r.group(2).isEmpty())) {
                    headers.add("Content-Range", "bytes */" + length);
                    exchange.sendResponseHeaders(416, -1);
                    return;
                }
                if (r.group(1).isEmpty()) {
                    from = Math.max(0, length - Long.parseLong(r.group(2)));
                } else {
                    from = Long.parseLong(r.group(1));
                    if (!r.group(2).isEmpty()) {
                        to = Math.min(to, Long.parseLong(r.group(2)));
                    }
                }
                if (from >= length || from > to) {
                    headers.add("Content-Range", "bytes */" + length);
                    exchange.sendResponseHeaders(416, -1);
                    return;
                }
                status = 206;
                headers.add("Content-Range", "bytes " + from + "-" + to + "/" + length);
            }
            long count = to - from + 1;
            if (method.equals("HEAD")) {
                headers.add("Content-Length", String.valueOf(count));
                exchange.sendResponseHeaders(status, -1);
                return;
            }
            exchange.sendResponseHeaders(status, count == 0 ? -1 : count);
            try (InputStream in = Files.newInputStream(file.get()); OutputStream out = exchange.getResponseBody()) {
                in.skipNBytes(from);
                byte[] buf = new byte[64 * 1024];
                long left = count;
                while (left > 0) {
                    int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                    if (n < 0) {
                        break;
                    }
                    out.write(buf, 0, n);
                    left -= n;
                }
            }
        }
    }

    static boolean isWildcard(String host) {
        try {
            return java.net.InetAddress.getByName(host).isAnyLocalAddress();
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    private static String stripSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private static String sha256(byte[] bytes) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
