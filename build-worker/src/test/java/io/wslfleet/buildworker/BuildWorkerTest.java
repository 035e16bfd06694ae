package io.wslfleet.buildworker;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.wslfleet.embedded.FleetInfra;
import io.wslfleet.embedded.KafkaRole;
import io.wslfleet.protocol.CloudEvent;
import io.wslfleet.protocol.CloudEventHeaders;
import io.wslfleet.protocol.Decoded;
import io.wslfleet.protocol.EventCodec;
import io.wslfleet.protocol.EventDecoder;
import io.wslfleet.protocol.Topics;
import io.wslfleet.protocol.kafka.KafkaClientSettings;
import io.wslfleet.protocol.events.BuildFailed;
import io.wslfleet.protocol.events.BuildProgress;
import io.wslfleet.protocol.events.BuildRequested;
import io.wslfleet.protocol.events.ReleasePublished;
import io.wslfleet.protocol.release.Ed25519;
import io.wslfleet.protocol.release.ManifestVerifier;
import io.wslfleet.protocol.trust.RecordSignatures;
import io.wslfleet.protocol.trust.Signer;
import io.wslfleet.protocol.trust.TrustedKeys;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The worker against a real broker: requests in, releases or failures out, bad records to the dead-letter topic. */
class BuildWorkerTest {

    @TempDir
    static Path tmp;
    static KeyPair key = Ed25519.generate();
    static final String ORCHESTRATOR_KEY_ID = "orch-1";
    static KeyPair orchestratorKey = Ed25519.generate();
    static BuildWorker worker;
    static KafkaProducer<String, byte[]> producer;
    static KafkaConsumer<String, byte[]> consumer;
    static final List<ConsumerRecord<String, byte[]>> seen = new ArrayList<>();
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        FleetInfra infra = FleetInfra.shared();
        Map<String, String> workerEnv = infra.kafkaEnvironment(KafkaRole.BUILD_WORKER);
        worker = BuildWorker.start(BuildWorkerConfig.builder().kafkaBootstrap(workerEnv.get(KafkaClientSettings.BOOTSTRAP))
                .kafkaSecurity(KafkaClientSettings.security(workerEnv))
                .storeDir(tmp.resolve("store")).workDir(tmp.resolve("work")).signingKey("test-1", key.getPrivate())
                .nixPath(NixStandIn.install(tmp.resolve("bin")).toString())
                .orchestratorKeys(TrustedKeys.parse(ORCHESTRATOR_KEY_ID + "=" + Ed25519.encode(orchestratorKey.getPublic())))
                .source("urn:test").build());
        // build requests as the orchestrator sends them; what the worker writes read back as an operator would (admin)
        producer = new KafkaProducer<>(infra.kafkaClientProperties(KafkaRole.ORCHESTRATOR), new StringSerializer(),
                new ByteArraySerializer());
        Map<String, Object> observer = infra.kafkaClientProperties(KafkaRole.ADMIN);
        observer.putAll(Map.of("group.id", "bw-test", "auto.offset.reset", "earliest"));
        consumer = new KafkaConsumer<>(observer, new StringDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(List.of(Topics.ARTIFACTS, Topics.DEAD_LETTER));
    }

    @AfterAll
    static void stop() {
        worker.close();
        producer.close();
        consumer.close();
    }

    private static void request(String buildId, String version, String rootDir) throws Exception {
        send(new BuildRequested(buildId, version,
                new BuildRequested.Source(BuildRequested.SourceKind.ROOT_DIRECTORY, rootDir, null, null), null, "test"));
    }

    /** A build request as the orchestrator sends it: signed with its key. */
    private static void send(BuildRequested request) throws Exception {
        producer.send(RecordSignatures.sign(unsigned(request), new Signer(ORCHESTRATOR_KEY_ID,
                orchestratorKey.getPrivate()))).get(30, TimeUnit.SECONDS);
    }

    private static ProducerRecord<String, byte[]> unsigned(BuildRequested request) {
        return EventCodec.toRecord(CloudEvent.of("urn:wsl-fleet:orchestrator", request));
    }

    private static ConsumerRecord<String, byte[]> await(java.util.function.Predicate<ConsumerRecord<String, byte[]>> match) {
        long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < until) {
            Optional<ConsumerRecord<String, byte[]>> hit = seen.stream().filter(match).findFirst();
            if (hit.isPresent()) {
                return hit.get();
            }
            consumer.poll(Duration.ofMillis(200)).forEach(seen::add);
        }
        throw new AssertionError("no matching record; seen " + seen.size());
    }

    private static <T> T data(ConsumerRecord<String, byte[]> r, Class<T> type) {
        return type.cast(((Decoded.Event) EventDecoder.of(r.topic()).decode(r)).event().data());
    }

    private static boolean is(ConsumerRecord<String, byte[]> r, Class<?> type, String buildId) {
        Decoded d = EventDecoder.of(r.topic()).decode(r);
        if (!(d instanceof Decoded.Event e) || !type.isInstance(e.event().data())) {
            return false;
        }
        Object data = e.event().data();
        if (data instanceof BuildProgress p) {
            return p.buildId().equals(buildId);
        }
        return data instanceof ReleasePublished p ? p.buildId().equals(buildId)
                : data instanceof BuildFailed f && f.buildId().equals(buildId);
    }

    @Test
    void aRootDirectoryBecomesASignedDownloadableRelease() throws Exception {
        Path root = tmp.resolve("good");
        String systemPath = DemoRoot.create(root, "host1", "25.05.9", 2, DemoRoot.Fault.NONE);
        request("b-good", "25.05.9", root.toString());

        ReleasePublished release = data(await(r -> is(r, ReleasePublished.class, "b-good")), ReleasePublished.class);
        assertThat(release.releaseId()).isEqualTo("rel-25.05.9");
        assertThat(release.nixos().systemPath()).isEqualTo(systemPath);
        assertThat(release.nixos().generation()).isEqualTo(2);

        var manifest = ManifestVerifier.parse("test-1=" + Ed25519.encode(key.getPublic()))
                .verify(release.manifest(), release.signature(), release.keyId());
        assertThat(manifest.sha256()).isEqualTo(release.sha256());

        HttpResponse<byte[]> whole = http.send(HttpRequest.newBuilder(URI.create(release.downloadUrl())).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(whole.statusCode()).isEqualTo(200);
        assertThat(whole.headers().firstValue("ETag")).contains("\"" + release.sha256() + "\"");
        // the worker's health for its probes: up while its consumer loop runs
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(release.downloadUrl()
                .replaceFirst("/artifacts/.*", "/healthz"))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"status\":\"UP\"");
        // the URL names the content: any cache in front of the store may keep it for good
        assertThat(whole.headers().firstValue("Cache-Control")).contains("public, max-age=31536000, immutable");
        HttpResponse<byte[]> manifestFile = http.send(HttpRequest.newBuilder(URI.create(release.downloadUrl()
                .replace("nixos.wsl", "manifest.json"))).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(manifestFile.statusCode()).isEqualTo(200);
        assertThat(manifestFile.headers().firstValue("Cache-Control")).contains("no-cache");
        assertThat(manifestFile.headers().firstValue("ETag")).contains("\"" + HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-256").digest(manifestFile.body())) + "\"")
                .isNotEqualTo(whole.headers().firstValue("ETag"));
        assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(whole.body())))
                .isEqualTo(release.sha256());

        HttpResponse<byte[]> tail = http.send(HttpRequest.newBuilder(URI.create(release.downloadUrl()))
                .header("Range", "bytes=100-").build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(tail.statusCode()).isEqualTo(206);
        assertThat(tail.headers().firstValue("Content-Range")).contains("bytes 100-" + (release.size() - 1) + "/" + release.size());
        assertThat(tail.body()).isEqualTo(java.util.Arrays.copyOfRange(whole.body(), 100, whole.body().length));

        HttpResponse<Void> beyond = http.send(HttpRequest.newBuilder(URI.create(release.downloadUrl()))
                .header("Range", "bytes=" + release.size() + "-").build(), HttpResponse.BodyHandlers.discarding());
        assertThat(beyond.statusCode()).isEqualTo(416);
        HttpResponse<Void> head = http.send(HttpRequest.newBuilder(URI.create(release.downloadUrl()))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        assertThat(head.headers().firstValueAsLong("Content-Length")).hasValue(release.size());

        // progress for the dashboard: packing reported in bytes of the root's content, up to all of it
        long total = RootPacker.contentSize(root);
        BuildProgress packed = data(await(r -> is(r, BuildProgress.class, "b-good")
                && data(r, BuildProgress.class).step().equals("PACKING")
                && data(r, BuildProgress.class).bytesDone() == total), BuildProgress.class);
        assertThat(packed.bytesTotal()).isEqualTo(total).isPositive();
    }

    /** Every regular file in the store, relative to it: what a failed build must leave unchanged. */
    private static java.util.Set<String> storeFiles() throws Exception {
        Path store = tmp.resolve("store");
        try (Stream<Path> files = Files.walk(store)) {
            return files.filter(Files::isRegularFile).map(p -> store.relativize(p).toString())
                    .collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new));
        }
    }

    @Test
    void anInvalidRootFailsTheBuildAndPublishesNothingElse() throws Exception {
        Path root = tmp.resolve("bad");
        DemoRoot.create(root, "host1", "25.05.8", 1, DemoRoot.Fault.NONE);
        Files.delete(root.resolve("etc/wsl-distribution.conf"));
        var before = storeFiles();
        request("b-bad", "25.05.8", root.toString());

        BuildFailed failed = data(await(r -> is(r, BuildFailed.class, "b-bad")), BuildFailed.class);
        assertThat(failed.reason()).isEqualTo("INVALID_ROOT");
        assertThat(failed.detail()).contains("/etc/wsl-distribution.conf is missing");
        assertThat(seen.stream().anyMatch(r -> is(r, ReleasePublished.class, "b-bad"))).isFalse();
        assertThat(storeFiles()).isEqualTo(before).noneMatch(p -> p.startsWith(".tmp"));
    }

    @Test
    void anUpstreamReleaseIsDownloadedOverHttpFollowingRedirectsLikeGithubReleaseAssets() throws Exception {
        Path root = tmp.resolve("http-root");
        DemoRoot.create(root, "nixos", "25.05.50", 1, DemoRoot.Fault.NONE);
        Path objects = tmp.resolve("objects");
        Files.createDirectories(objects);
        try (var out = Files.newOutputStream(objects.resolve("nixos.wsl"))) {
            RootPacker.pack(root, out, d -> { });
        }
        Files.writeString(objects.resolve("nixos.wsl.sha256"), BuildWorker.sha256(objects.resolve("nixos.wsl")) + "  nixos.wsl\n");
        var server = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            try (exchange) {
                String path = exchange.getRequestURI().getPath();
                if (path.startsWith("/releases/download/2505.7.0/")) {
                    exchange.getResponseHeaders().add("Location", "/objects/" + path.substring(path.lastIndexOf('/') + 1));
                    exchange.sendResponseHeaders(302, -1);
                } else if (path.startsWith("/objects/") && Files.isRegularFile(objects.resolve(path.substring(9)))) {
                    byte[] body = Files.readAllBytes(objects.resolve(path.substring(9)));
                    exchange.sendResponseHeaders(200, body.length);
                    exchange.getResponseBody().write(body);
                } else {
                    exchange.sendResponseHeaders(404, -1);
                }
            }
        });
        server.start();
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            for (String[] b : new String[][] {{"b-http", base + "/releases/download/2505.7.0/nixos.wsl"},
                    {"b-http-missing", base + "/nowhere/nixos.wsl"}}) {
                send(new BuildRequested(b[0], "25.05.50-" + b[0],
                        new BuildRequested.Source(BuildRequested.SourceKind.UPSTREAM, b[1], null, null), null, "test"));
            }
            ReleasePublished release = data(await(r -> is(r, ReleasePublished.class, "b-http")), ReleasePublished.class);
            assertThat(release.nixos().nixosVersion()).isEqualTo("25.05.50");
            BuildFailed missing = data(await(r -> is(r, BuildFailed.class, "b-http-missing")), BuildFailed.class);
            assertThat(missing.reason()).isEqualTo("SOURCE_NOT_FOUND");
            assertThat(missing.detail()).contains("/nowhere/nixos.wsl answered HTTP 404");
        } finally {
            server.stop(0);
        }
        try (Stream<Path> work = Files.list(tmp.resolve("work"))) {
            assertThat(work).as("downloads are not left in the work directory").isEmpty();
        }
    }

    @Test
    void aReleaseIdAlwaysMeansTheSameBytes() throws Exception {
        Path root = tmp.resolve("again");
        DemoRoot.create(root, "host1", "25.05.40", 1, DemoRoot.Fault.NONE);
        request("b-again-1", "25.05.40", root.toString());
        ReleasePublished first = data(await(r -> is(r, ReleasePublished.class, "b-again-1")), ReleasePublished.class);
        // the same request again (a retry, a redelivery): the same signed release, not a re-signed one
        request("b-again-2", "25.05.40", root.toString());
        ReleasePublished second = data(await(r -> is(r, ReleasePublished.class, "b-again-2")), ReleasePublished.class);
        assertThat(second.sha256()).isEqualTo(first.sha256());
        assertThat(second.manifest()).isEqualTo(first.manifest());
        assertThat(second.signature()).isEqualTo(first.signature());

        // other content under a version already published is refused, nothing stored
        Path other = tmp.resolve("again-other");
        DemoRoot.create(other, "host2", "25.05.40", 1, DemoRoot.Fault.DEGRADED);
        var before = storeFiles();
        request("b-again-other", "25.05.40", other.toString());
        BuildFailed clash = data(await(r -> is(r, BuildFailed.class, "b-again-other")), BuildFailed.class);
        assertThat(clash.reason()).isEqualTo("VERSION_EXISTS");
        assertThat(clash.detail()).contains("rel-25.05.40 is already published with sha256 " + first.sha256())
                .contains("request a new version");
        assertThat(storeFiles()).isEqualTo(before);

        // a version that could name a path is refused by the contract itself: the request is dead-lettered
        var good = EventCodec.toRecord(CloudEvent.of("urn:test", new BuildRequested("b-bad-version", "25.05.41",
                new BuildRequested.Source(BuildRequested.SourceKind.ROOT_DIRECTORY, root.toString(), null, null),
                null, "test")));
        byte[] value = new String(good.value(), StandardCharsets.UTF_8).replace("25.05.41", "../../etc")
                .getBytes(StandardCharsets.UTF_8);
        producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(good.topic(), null, good.key(), value,
                good.headers())).get(30, TimeUnit.SECONDS);
        ConsumerRecord<String, byte[]> badVersion = await(r -> r.topic().equals(Topics.DEAD_LETTER)
                && "b-bad-version".equals(r.key()));
        assertThat(new String(badVersion.headers().lastHeader("dlq_reason").value(), StandardCharsets.UTF_8))
                .isEqualTo("INVALID_DATA");
        assertThat(seen).noneMatch(r -> is(r, ReleasePublished.class, "b-again-other") || is(r, ReleasePublished.class, "b-bad-version"));
    }

    @Test
    void brokenOrUnsafeUpstreamImagesAreRefusedWithAReasonAndNothingIsStoredOrPublished() throws Exception {
        Path root = tmp.resolve("refusal-root");
        DemoRoot.create(root, "nixos", "25.05.20", 1, DemoRoot.Fault.NONE);
        java.io.ByteArrayOutputStream packed = new java.io.ByteArrayOutputStream();
        RootPacker.pack(root, packed, d -> { });
        byte[] good = packed.toByteArray();
        byte[] flipped = good.clone();
        flipped[good.length - 6] ^= 0x5a; // inside the gzip trailer's CRC-32

        Map<String, byte[]> images = new java.util.LinkedHashMap<>();
        Map<String, String> expected = new java.util.LinkedHashMap<>();
        images.put("not-gzip", "PK\u0003\u0004 a zip file, not a nixos.wsl".getBytes(StandardCharsets.UTF_8));
        expected.put("not-gzip", "not a gzip file");
        images.put("truncated", java.util.Arrays.copyOf(good, good.length / 2));
        expected.put("truncated", "truncated archive");
        images.put("flipped", flipped);
        expected.put("flipped", "corrupt archive");
        images.put("dotdot", TarFixtures.tarGz(TarFixtures.file("./../etc/passwd", "root::0:0::/:/bin/sh\n")));
        expected.put("dotdot", "entry name with ..");
        images.put("absolute", TarFixtures.tarGz(TarFixtures.file("/etc/passwd", "root::0:0::/:/bin/sh\n")));
        expected.put("absolute", "absolute entry name /etc/passwd");
        images.put("hardlink", TarFixtures.tarGz(TarFixtures.file("./bin/bash", "#!"), TarFixtures.hardLink("./bin/sh", "./bin/bash")));
        expected.put("hardlink", "hard link /bin/sh -> ./bin/bash");
        images.put("bomb", TarFixtures.zeroBomb(64L << 20));
        expected.put("bomb", "decompression bomb");

        var before = storeFiles();
        int n = 0;
        for (var image : images.entrySet()) {
            Path file = tmp.resolve("refuse-" + image.getKey() + ".wsl");
            Files.write(file, image.getValue());
            // the .sha256 matches: the refusal must come from the content, not the checksum
            Files.writeString(Path.of(file + ".sha256"), BuildWorker.sha256(file) + "  " + file.getFileName() + "\n");
            send(new BuildRequested("b-refuse-" + image.getKey(),
                    "25.05.20-r" + n++, new BuildRequested.Source(BuildRequested.SourceKind.UPSTREAM, file.toString(), null, null),
                    null, "test"));
        }
        for (var image : images.keySet()) {
            BuildFailed failed = data(await(r -> is(r, BuildFailed.class, "b-refuse-" + image)), BuildFailed.class);
            assertThat(failed.reason()).as(image).isEqualTo("INVALID_UPSTREAM");
            assertThat(failed.detail()).as(image).contains("refuse-" + image + ".wsl").contains(expected.get(image));
        }
        assertThat(seen).noneMatch(r -> images.keySet().stream().anyMatch(i -> is(r, ReleasePublished.class, "b-refuse-" + i)));
        assertThat(storeFiles()).isEqualTo(before).noneMatch(p -> p.startsWith(".tmp"));
    }

    @Test
    void aMalformedRequestIsDeadLetteredAndTheNextOneStillBuilds() throws Exception {
        var garbage = new ProducerRecord<String, byte[]>(Topics.BUILD_REQUESTS, "junk", "][".getBytes(StandardCharsets.UTF_8));
        garbage.headers().add("ce_id", "junk-1".getBytes(StandardCharsets.UTF_8));
        garbage.headers().add("ce_type", "io.wslfleet.build.requested.v1".getBytes(StandardCharsets.UTF_8));
        producer.send(garbage).get(30, TimeUnit.SECONDS);
        Path root = tmp.resolve("after");
        DemoRoot.create(root, "host1", "25.05.10", 1, DemoRoot.Fault.NONE);
        request("b-after", "25.05.10", root.toString());

        ConsumerRecord<String, byte[]> dead = await(r -> r.topic().equals(Topics.DEAD_LETTER) && "junk".equals(r.key()));
        assertThat(new String(dead.headers().lastHeader(CloudEventHeaders.DLQ_CONSUMER).value(), StandardCharsets.UTF_8))
                .isEqualTo("build-worker");
        await(r -> is(r, ReleasePublished.class, "b-after"));
    }

    @Test
    void anUpstreamReleaseIsCheckedAgainstItsSha256ThenCustomisedAndPublished() throws Exception {
        Path root = tmp.resolve("upstream-root");
        DemoRoot.create(root, "nixos", "25.05.11", 1, DemoRoot.Fault.NONE);
        Path upstream = tmp.resolve("nixos.wsl");
        try (var out = Files.newOutputStream(upstream)) {
            RootPacker.pack(root, out, d -> { });
        }
        Files.writeString(tmp.resolve("nixos.wsl.sha256"), BuildWorker.sha256(upstream) + "  nixos.wsl\n");
        Files.writeString(tmp.resolve("wrong.sha256"), "0".repeat(64) + "  nixos.wsl\n");
        var customization = new BuildRequested.Customization(Map.of("/etc/nixos/configuration.nix", "{ }\n"), "Corp",
                Map.of("network.hostname", "corp"));

        send(new BuildRequested("b-up-bad", "25.05.12",
                new BuildRequested.Source(BuildRequested.SourceKind.UPSTREAM, upstream.toString(),
                        tmp.resolve("wrong.sha256").toString(), null), customization, "test"));
        send(new BuildRequested("b-up", "25.05.11-corp1",
                new BuildRequested.Source(BuildRequested.SourceKind.UPSTREAM, upstream.toString(), null, null),
                customization, "test"));

        BuildFailed failed = data(await(r -> is(r, BuildFailed.class, "b-up-bad")), BuildFailed.class);
        assertThat(failed.reason()).isEqualTo("CHECKSUM_MISMATCH");
        assertThat(failed.detail()).contains("refusing");
        ReleasePublished release = data(await(r -> is(r, ReleasePublished.class, "b-up")), ReleasePublished.class);
        assertThat(release.releaseId()).isEqualTo("rel-25.05.11-corp1");
        assertThat(seen.stream().anyMatch(r -> is(r, ReleasePublished.class, "b-up-bad"))).isFalse();
        HttpResponse<byte[]> artifact = http.send(HttpRequest.newBuilder(URI.create(release.downloadUrl())).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        Path downloaded = tmp.resolve("downloaded.wsl");
        Files.write(downloaded, artifact.body());
        Process p = new ProcessBuilder("tar", "-xzOf", downloaded.toString(), "./etc/wsl-distribution.conf").start();
        assertThat(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).contains("defaultName = Corp");
    }

    @Test
    void aFlakeIsBuiltWithNixAndTheTarballBuilderAndAFailingBuildReportsItsLog() throws Exception {
        Path flake = tmp.resolve("company-flake");
        Files.createDirectories(flake);
        Files.writeString(flake.resolve("flake.nix"), "{ outputs = { ... }: { }; }\n");
        String systemPath = DemoRoot.create(flake.resolve("hosts/devbox"), "devbox", "25.05.30", 1, DemoRoot.Fault.NONE);
        DemoRoot.create(flake.resolve("hosts/broken"), "broken", "25.05.31", 1, DemoRoot.Fault.NONE);
        Files.writeString(flake.resolve("hosts/broken/BROKEN"),
                "error: The option `wsl.enable' does not exist. Definition values:\n- In `/nix/store/x-source/configuration.nix'\n");

        for (String[] b : new String[][] {{"b-flake", "25.05.30", "devbox"}, {"b-flake-broken", "25.05.31", "broken"},
                {"b-flake-nohost", "25.05.32", "nohost"}}) {
            send(new BuildRequested(b[0], b[1],
                    new BuildRequested.Source(BuildRequested.SourceKind.FLAKE, flake.toString(), null, b[2]),
                    null, "test"));
        }
        ReleasePublished release = data(await(r -> is(r, ReleasePublished.class, "b-flake")), ReleasePublished.class);
        assertThat(release.nixos().systemPath()).isEqualTo(systemPath);
        assertThat(release.nixos().hostName()).isEqualTo("devbox");

        BuildFailed broken = data(await(r -> is(r, BuildFailed.class, "b-flake-broken")), BuildFailed.class);
        assertThat(broken.reason()).isEqualTo("NIX_BUILD_FAILED");
        assertThat(broken.detail()).contains("exited 1").contains("The option `wsl.enable' does not exist")
                .contains("failed with exit code 1");
        BuildFailed noHost = data(await(r -> is(r, BuildFailed.class, "b-flake-nohost")), BuildFailed.class);
        assertThat(noHost.detail()).contains("does not provide attribute");
        assertThat(seen.stream().anyMatch(r -> is(r, ReleasePublished.class, "b-flake-broken"))).isFalse();
    }

    @Test
    void unsignedAndWronglySignedRequestsAreDeadLetteredAndNothingIsBuilt() throws Exception {
        Path root = tmp.resolve("forged-root");
        DemoRoot.create(root, "host1", "25.05.60", 1, DemoRoot.Fault.NONE);
        KeyPair attacker = Ed25519.generate();
        Map<String, ProducerRecord<String, byte[]>> forged = new java.util.LinkedHashMap<>();
        forged.put("b-unsigned", unsigned(rootRequest("b-unsigned", "25.05.60", root)));
        forged.put("b-untrusted", RecordSignatures.sign(unsigned(rootRequest("b-untrusted", "25.05.61", root)),
                new Signer("attacker", attacker.getPrivate())));
        forged.put("b-claims-orch", RecordSignatures.sign(unsigned(rootRequest("b-claims-orch", "25.05.62", root)),
                new Signer(ORCHESTRATOR_KEY_ID, attacker.getPrivate())));
        for (var record : forged.values()) {
            producer.send(record).get(30, TimeUnit.SECONDS);
        }
        request("b-after-forged", "25.05.63", root.toString());
        await(r -> is(r, ReleasePublished.class, "b-after-forged"));

        for (String buildId : forged.keySet()) {
            ConsumerRecord<String, byte[]> dead = await(r -> r.topic().equals(Topics.DEAD_LETTER) && buildId.equals(r.key()));
            assertThat(new String(dead.headers().lastHeader(CloudEventHeaders.DLQ_REASON).value(), StandardCharsets.UTF_8))
                    .as(buildId).isEqualTo("UNAUTHENTICATED");
            assertThat(new String(dead.headers().lastHeader(CloudEventHeaders.DLQ_CONSUMER).value(), StandardCharsets.UTF_8))
                    .isEqualTo("build-worker");
            assertThat(dead.value()).isEqualTo(forged.get(buildId).value());
            // handled, then: not built, and not a word about it on fleet.artifacts
            assertThat(seen).noneMatch(r -> is(r, BuildProgress.class, buildId) || is(r, BuildFailed.class, buildId)
                    || is(r, ReleasePublished.class, buildId));
        }
        assertThat(worker.store().release("rel-25.05.60")).isEmpty();
        assertThat(worker.store().release("rel-25.05.61")).isEmpty();
        assertThat(worker.store().release("rel-25.05.62")).isEmpty();
    }

    @Test
    void everyEventTheWorkerPublishesVerifiesWithItsReleaseKey() throws Exception {
        Path root = tmp.resolve("signed-events-root");
        DemoRoot.create(root, "host1", "25.05.64", 1, DemoRoot.Fault.NONE);
        request("b-signed-events", "25.05.64", root.toString());
        request("b-signed-missing", "25.05.65", tmp.resolve("no-such-root").toString());
        await(r -> is(r, ReleasePublished.class, "b-signed-events"));
        await(r -> is(r, BuildFailed.class, "b-signed-missing"));
        TrustedKeys releaseKey = TrustedKeys.parse("test-1=" + Ed25519.encode(key.getPublic()));
        var published = seen.stream().filter(r -> r.topic().equals(Topics.ARTIFACTS)).toList();
        assertThat(published).anyMatch(r -> is(r, BuildProgress.class, "b-signed-events"));
        assertThat(published).allSatisfy(r -> assertThat(RecordSignatures.verify(r, releaseKey))
                .isInstanceOf(RecordSignatures.Verification.Verified.class));
    }

    private static BuildRequested rootRequest(String buildId, String version, Path root) {
        return new BuildRequested(buildId, version,
                new BuildRequested.Source(BuildRequested.SourceKind.ROOT_DIRECTORY, root.toString(), null, null), null, "test");
    }
}
