package io.wslfleet.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;

/**
 * Downloads a release into the staging folder, resuming a partial file with {@code Range} (and {@code If-Range}
 * on the expected sha256 ETag, so a changed file is fetched whole rather than spliced).
 */
final class Downloader {

    interface Progress {
        void bytes(long done, long total);
    }

    private final HttpClient http = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NORMAL)
            .build();

    /** Returns the complete file {@code <staging>/<sha256>.wsl}. */
    Path fetch(String url, String sha256, long size, Path staging, Progress progress) throws IOException, InterruptedException {
        Path done = staging.resolve(sha256 + ".wsl");
        if (Files.exists(done) && Files.size(done) == size) {
            return done;
        }
        Path partial = staging.resolve(sha256 + ".partial");
        long have = Files.exists(partial) ? Files.size(partial) : 0;
        if (have > size) {
            Files.delete(partial);
            have = 0;
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(30)).GET();
        if (have > 0) {
            request.header("Range", "bytes=" + have + "-").header("If-Range", "\"" + sha256 + "\"");
        }
        HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        boolean append = response.statusCode() == 206;
        if (response.statusCode() != 200 && !append) {
            response.body().close();
            throw new IOException("download of " + url + " answered HTTP " + response.statusCode());
        }
        long written = append ? have : 0;
        try (InputStream in = response.body();
             OutputStream out = Files.newOutputStream(partial, StandardOpenOption.CREATE,
                     append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            byte[] buf = new byte[256 * 1024];
            int n;
            long lastReport = 0;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
                written += n;
                if (written - lastReport > 8 * 1024 * 1024) {
                    progress.bytes(written, size);
                    lastReport = written;
                }
            }
        }
        progress.bytes(written, size);
        Files.move(partial, done, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return done;
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[256 * 1024];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
