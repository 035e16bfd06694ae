package io.wslfleet.buildworker;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.wslfleet.protocol.CloudEvent;
import io.wslfleet.protocol.Backoff;
import io.wslfleet.protocol.Contract;
import io.wslfleet.protocol.EventDecoder;
import io.wslfleet.protocol.EventCodec;
import io.wslfleet.protocol.RejectReason;
import io.wslfleet.protocol.Topics;
import io.wslfleet.protocol.events.BuildFailed;
import io.wslfleet.protocol.events.BuildProgress;
import io.wslfleet.protocol.events.BuildRequested;
import io.wslfleet.protocol.events.EventData;
import io.wslfleet.protocol.events.NixosMetadata;
import io.wslfleet.protocol.events.ReleasePublished;
import io.wslfleet.protocol.kafka.KafkaClientSettings;
import io.wslfleet.protocol.release.ReleaseManifest;
import io.wslfleet.protocol.release.SignedManifest;
import io.wslfleet.protocol.trust.RecordSignatures;
import io.wslfleet.protocol.trust.Signer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The long-running worker: consumes {@code fleet.build-requests} (consumer group {@code build-workers}, so several
 * workers share the requests), makes each release, and publishes on {@code fleet.artifacts}:
 * {@link BuildProgress} while working, then {@link ReleasePublished} only once the artifact and its signed manifest
 * are durably stored and served, or {@link BuildFailed} with a reason a person can act on and nothing else. It builds
 * only requests signed by a key of {@code FLEET_TRUST_ORCHESTRATOR_KEYS} and signs everything it publishes with its
 * release key. A record that cannot be decoded, or is not signed by the orchestrator, goes to
 * {@code fleet.dead-letter}. Offsets are committed after a request is handled.
 */
public final class BuildWorker implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(BuildWorker.class.getName());
    /** Upstream downloads: GitHub release assets answer with a redirect to their storage, for the .sha256 too. */
    private static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newBuilder()
            .followRedirects(java.net.http.HttpClient.Redirect.NORMAL).connectTimeout(Duration.ofSeconds(30)).build();
    public static final String GROUP = "build-workers";

    private final BuildWorkerConfig config;
    private final ArtifactStore store;
    private final ArtifactServer server;
    private final KafkaProducer<String, byte[]> producer;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread loop;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Clock clock = Clock.systemUTC();
    private final Signer signer;
    private final EventDecoder decoder = new EventDecoder(Topics.BUILD_REQUESTS,
            Contract.fromEnvironment(System.getenv()), clock);

    private BuildWorker(BuildWorkerConfig config) throws IOException {
        this.config = config;
        this.signer = new Signer(config.keyId(), config.signingKey());
        Files.createDirectories(config.workDir());
        this.store = new ArtifactStore(config.storeDir());
        this.server = new ArtifactServer(store, config.httpHost(), config.httpPort(), config.publicBaseUrl());
        this.server.healthCheck(this::consuming);
        this.producer = new KafkaProducer<>(KafkaClientSettings.forClient(config.kafkaSecurity(), config.kafkaBootstrap(), Map.of(
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.CLIENT_ID_CONFIG, "build-worker")),
                new StringSerializer(), new ByteArraySerializer());
        this.consumer = new KafkaConsumer<>(KafkaClientSettings.forClient(config.kafkaSecurity(), config.kafkaBootstrap(), Map.of(
                ConsumerConfig.GROUP_ID_CONFIG, GROUP,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1,
                // a build may take long: give it the time before the group considers this worker gone
                ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, (int) TimeUnit.HOURS.toMillis(2))),
                new StringDeserializer(), new ByteArrayDeserializer());
        this.loop = new Thread(this::run, "build-worker");
    }

    public static BuildWorker start(BuildWorkerConfig config) {
        try {
            BuildWorker worker = new BuildWorker(config);
            worker.consumer.subscribe(List.of(Topics.BUILD_REQUESTS));
            worker.loop.start();
            return worker;
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the build worker", e);
        }
    }

    /** Whether the consumer loop runs: what {@code /healthz} reports. */
    private boolean consuming() {
        return running.get() && loop.isAlive();
    }

    public String artifactBaseUrl() {
        return server.baseUrl();
    }

    public ArtifactStore store() {
        return store;
    }

    private void run() {
        Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30));
        try {
            while (running.get()) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    var partition = new org.apache.kafka.common.TopicPartition(record.topic(), record.partition());
                    try {
                        handle(record);
                        backoff.reset();
                    } catch (RuntimeException e) {
                        // the outcome could not be published (broker unreachable…): the request is not committed,
                        // it is read again after a pause, and the worker carries on rather than dying
                        long waitMs = backoff.next().toMillis();
                        LOG.log(Level.WARNING, "could not finish " + record.topic() + "-" + record.partition() + "@"
                                + record.offset() + "; retrying in " + waitMs + " ms", e);
                        consumer.seek(partition, record.offset());
                        pause(waitMs);
                        break;
                    }
                    consumer.commitSync(Map.of(partition,
                            new org.apache.kafka.clients.consumer.OffsetAndMetadata(record.offset() + 1)));
                }
            }
        } catch (WakeupException e) {
            if (running.get()) {
                throw e;
            }
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "build worker loop stopped", e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private void pause(long millis) {
        long until = System.currentTimeMillis() + millis;
        while (running.get() && System.currentTimeMillis() < until) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    void handle(ConsumerRecord<String, byte[]> record) {
        var decoded = decoder.accept(record, this::deadLetter);
        if (decoded.isEmpty()) {
            return;
        }
        if (RecordSignatures.verify(record, config.orchestratorKeys()) instanceof RecordSignatures.Verification.Refused
                refused) {
            // not the orchestrator's: nothing is built and nothing said on fleet.artifacts, where a BuildFailed
            // for a forged build id could only confuse
            deadLetter(record, RejectReason.UNAUTHENTICATED, refused.detail());
            return;
        }
        BuildRequested request = (BuildRequested) decoded.get().data(); // the only event of fleet.build-requests
        EventData outcome;
        try {
            outcome = build(request);
        } catch (BuildFailure e) {
            outcome = new BuildFailed(request.buildId(), e.reason, e.getMessage());
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "build " + request.buildId() + " failed", e);
            outcome = new BuildFailed(request.buildId(), "BUILD_ERROR", String.valueOf(e.getMessage()));
        }
        publish(outcome);
    }

    private EventData build(BuildRequested request) throws IOException, BuildFailure {
        if (!ArtifactStore.RELEASE_ID.matcher(request.version()).matches() || request.version().contains("..")) {
            throw new BuildFailure("INVALID_REQUEST", "version '" + request.version() + "' cannot name a release: use "
                    + "letters, digits and . _ + - only (e.g. 2505.7.0-acme.1)");
        }
        return switch (request.source().kind()) {
            case ROOT_DIRECTORY -> fromRootDirectory(request);
            case UPSTREAM -> fromUpstream(request);
            case FLAKE -> fromFlake(request);
        };
    }

    private ReleasePublished fromRootDirectory(BuildRequested request) throws IOException, BuildFailure {
        Path root = Path.of(request.source().location());
        if (!Files.isDirectory(root)) {
            throw new BuildFailure("SOURCE_NOT_FOUND", "root directory " + root + " does not exist on the build worker");
        }
        long total;
        try {
            total = RootPacker.contentSize(root);
        } catch (InvalidArchiveException e) {
            throw new BuildFailure("INVALID_ROOT", e.getMessage());
        }
        try (ArtifactStore.Staged staged = store.stage()) {
            var packing = progress(request.buildId(), "PACKING", total);
            packing.accept(0);
            try {
                RootPacker.pack(root, staged.stream(), ArchiveInspector.Limits.DEFAULT, packing);
            } catch (InvalidArchiveException e) {
                throw new BuildFailure("INVALID_ROOT", e.getMessage());
            }
            String sha256 = staged.finish();
            try {
                return validateSignStore(request, staged, sha256, total);
            } catch (BuildFailure e) {
                throw e.reason.equals("INVALID_ARCHIVE") ? new BuildFailure("INVALID_ROOT", e.getMessage()) : e;
            }
        }
    }

    /**
     * An official {@code nixos.wsl} (or a pre-2411 {@code nixos-wsl.tar.gz}) from a URL or path, checked against its
     * {@code .sha256} before anything else, then customised as the request says, validated, signed and stored.
     */
    private ReleasePublished fromUpstream(BuildRequested request) throws IOException, BuildFailure {
        String location = request.source().location();
        String shaLocation = request.source().sha256Location() != null ? request.source().sha256Location()
                : location + ".sha256";
        Path input = config.workDir().resolve(request.buildId() + ".upstream");
        try {
            progress(request.buildId(), "FETCHING", 0).accept(0);
            fetch(location, input);
            String expected = readSha256File(shaLocation);
            progress(request.buildId(), "CHECKING", Files.size(input)).accept(0);
            String actual = sha256(input);
            if (!actual.equalsIgnoreCase(expected)) {
                throw new BuildFailure("CHECKSUM_MISMATCH", location + " has sha256 " + actual + " but "
                        + shaLocation + " says " + expected + "; refusing to customise it");
            }
            long total = Files.size(input);
            // refuse a broken, unsafe or non-NixOS-WSL upstream image, or a customisation that would not survive
            // NixOS, before spending anything on it
            Set<String> targets;
            try {
                targets = ArchiveCustomizer.targets(request.customization());
            } catch (IllegalArgumentException e) {
                throw new BuildFailure("INVALID_REQUEST", "customization: " + e.getMessage());
            }
            ArchiveCustomizer.Plan plan;
            try (InputStream in = Files.newInputStream(input)) {
                plan = ArchiveCustomizer.plan(request.customization(),
                        ArchiveInspector.inspect(in, ArchiveInspector.Limits.DEFAULT, targets));
            } catch (InvalidArchiveException e) {
                throw new BuildFailure("INVALID_UPSTREAM", location + " is not a NixOS-WSL image the fleet can take: "
                        + e.getMessage());
            } catch (CustomizationRefusedException e) {
                throw new BuildFailure("CUSTOMIZATION_REFUSED", e.getMessage());
            } catch (IllegalArgumentException e) {
                throw new BuildFailure("INVALID_REQUEST", "customization: " + e.getMessage());
            }
            try (ArtifactStore.Staged staged = store.stage()) {
                var customizing = progress(request.buildId(), "CUSTOMIZING", total);
                customizing.accept(0);
                try {
                    ArchiveCustomizer.customize(input, staged.stream(), plan, ArchiveInspector.Limits.DEFAULT, customizing);
                } catch (CustomizationRefusedException e) {
                    throw new BuildFailure("CUSTOMIZATION_REFUSED", e.getMessage());
                } catch (InvalidArchiveException e) {
                    throw new BuildFailure("INVALID_UPSTREAM", "refused " + location + ": " + e.getMessage());
                } catch (IOException e) {
                    throw new BuildFailure("INVALID_UPSTREAM", "cannot read " + location + " as tar.gz: " + e.getMessage());
                }
                String sha256 = staged.finish();
                return validateSignStore(request, staged, sha256, total);
            }
        } finally {
            Files.deleteIfExists(input);
        }
    }

    /**
     * {@code nix build <flake>#nixosConfigurations.<host>.config.system.build.tarballBuilder}, then the resulting
     * {@code nixos-wsl-tarball-builder} (run as root, as upstream documents) writes the {@code nixos.wsl}; both are
     * outside programs, with a timeout, and a failure carries the tail of their log.
     */
    private ReleasePublished fromFlake(BuildRequested request) throws IOException, BuildFailure {
        String host = request.source().flakeHost();
        if (host == null || host.isBlank()) {
            throw new BuildFailure("INVALID_REQUEST", "a FLAKE build needs source.flakeHost (the nixosConfigurations name)");
        }
        Path dir = config.workDir().resolve(request.buildId());
        Files.createDirectories(dir);
        try {
            String attribute = request.source().location() + "#nixosConfigurations." + host
                    + ".config.system.build.tarballBuilder";
            progress(request.buildId(), "NIX_BUILD", 0).accept(0);
            ExternalProgram.Result built = ExternalProgram.run(dir, config.buildTimeout(), config.nixPath(), "build",
                    "--no-link", "--print-out-paths", attribute);
            if (built.exitCode() != 0) {
                throw new BuildFailure("NIX_BUILD_FAILED", "nix build " + attribute + " exited " + built.exitCode()
                        + ":\n" + built.tail(20));
            }
            String builderPath = built.stdout().trim().lines().reduce((a, b) -> b).orElse("");
            Path builder = Path.of(builderPath, "bin", "nixos-wsl-tarball-builder");
            if (!Files.isExecutable(builder)) {
                throw new BuildFailure("NIX_BUILD_FAILED", "nix build printed " + builderPath
                        + ", which has no bin/nixos-wsl-tarball-builder");
            }
            progress(request.buildId(), "TARBALL_BUILDER", 0).accept(0);
            Path output = dir.resolve("nixos.wsl");
            ExternalProgram.Result tarball = ExternalProgram.run(dir, config.buildTimeout(), builder.toString(),
                    output.toString());
            if (tarball.exitCode() != 0 || !Files.isRegularFile(output)) {
                throw new BuildFailure("TARBALL_BUILDER_FAILED", "nixos-wsl-tarball-builder exited "
                        + tarball.exitCode() + ":\n" + tarball.tail(20));
            }
            long total = Files.size(output);
            try (ArtifactStore.Staged staged = store.stage()) {
                try (InputStream in = Files.newInputStream(output)) {
                    in.transferTo(staged.stream());
                }
                return validateSignStore(request, staged, staged.finish(), total);
            }
        } finally {
            deleteTree(dir);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private ReleasePublished validateSignStore(BuildRequested request, ArtifactStore.Staged staged, String sha256,
                                               long total) throws IOException, BuildFailure {
        progress(request.buildId(), "VALIDATING", total).accept(total);
        NixosMetadata metadata;
        try (InputStream in = Files.newInputStream(staged.tempFile())) {
            metadata = ArchiveInspector.inspect(in, ArchiveInspector.Limits.DEFAULT);
        } catch (InvalidArchiveException e) {
            throw new BuildFailure("INVALID_ARCHIVE", e.getMessage());
        }
        String releaseId = "rel-" + request.version();
        Optional<SignedManifest> existing = store.release(releaseId);
        if (existing.isPresent()) {
            ReleaseManifest prior = ArtifactStore.manifestOf(existing.get());
            if (!prior.sha256().equals(sha256)) {
                throw new BuildFailure("VERSION_EXISTS", releaseId + " is already published with sha256 "
                        + prior.sha256() + " and this build gives " + sha256
                        + "; a release id never changes its content: request a new version");
            }
            if (store.artifact(sha256).isPresent()) {
                // the same bytes again (a repeated or redelivered request): the same signed release, not a new one
                return new ReleasePublished(releaseId, request.buildId(), prior.version(), sha256, prior.size(),
                        server.urlOf(sha256), existing.get().manifestJson(), existing.get().signature(),
                        existing.get().keyId(), prior.nixos());
            }
        }
        ReleaseManifest manifest = new ReleaseManifest(releaseId, request.version(), sha256, staged.size(),
                metadata, clock.instant(), config.keyId());
        SignedManifest signed = SignedManifest.sign(manifest, config.signingKey());
        progress(request.buildId(), "STORING", total).accept(total);
        store.commit(staged, sha256, signed);
        return new ReleasePublished(releaseId, request.buildId(), request.version(), sha256, staged.size(),
                server.urlOf(sha256), signed.manifestJson(), signed.signature(), signed.keyId(), metadata);
    }

    private static void fetch(String location, Path into) throws IOException, BuildFailure {
        if (location.startsWith("http://") || location.startsWith("https://")) {
            try {
                var response = HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(location)).build(),
                                java.net.http.HttpResponse.BodyHandlers.ofFile(into));
                if (response.statusCode() != 200) {
                    throw new BuildFailure("SOURCE_NOT_FOUND", location + " answered HTTP " + response.statusCode());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while fetching " + location, e);
            }
        } else {
            Path file = Path.of(location);
            if (!Files.isRegularFile(file)) {
                throw new BuildFailure("SOURCE_NOT_FOUND", location + " does not exist on the build worker");
            }
            Files.copy(file, into, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** A {@code sha256sum} line ({@code <hex>  <name>}) or a bare hex digest. */
    private static String readSha256File(String location) throws IOException, BuildFailure {
        String text;
        if (location.startsWith("http://") || location.startsWith("https://")) {
            try {
                var response = HTTP.send(
                        java.net.http.HttpRequest.newBuilder(java.net.URI.create(location)).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() != 200) {
                    throw new BuildFailure("CHECKSUM_MISSING", location + " answered HTTP " + response.statusCode());
                }
                text = response.body();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
        } else {
            if (!Files.isRegularFile(Path.of(location))) {
                throw new BuildFailure("CHECKSUM_MISSING", "no checksum file " + location + "; an upstream release must come with its .sha256");
            }
            text = Files.readString(Path.of(location));
        }
        String hex = text.trim().split("\\s+")[0].toLowerCase(java.util.Locale.ROOT);
        if (!hex.matches("[0-9a-f]{64}")) {
            throw new BuildFailure("CHECKSUM_MISSING", location + " does not hold a sha256 digest");
        }
        return hex;
    }

    static String sha256(Path file) throws IOException {
        var digest = ArtifactStore.sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                digest.update(buf, 0, n);
            }
        }
        return java.util.HexFormat.of().formatHex(digest.digest());
    }

    /**
     * Progress of one step for the dashboard: the first report at once, then at most one a second, and the last one
     * (done == total). Sent without waiting: a progress event that cannot be sent is logged, it never fails a build.
     */
    private java.util.function.LongConsumer progress(String buildId, String step, long total) {
        long[] last = {Long.MIN_VALUE};
        return done -> {
            long now = System.nanoTime();
            boolean finished = total > 0 && done >= total;
            if (last[0] != Long.MIN_VALUE && !finished && now - last[0] < TimeUnit.SECONDS.toNanos(1)) {
                return;
            }
            last[0] = now;
            var event = new BuildProgress(buildId, step, Math.max(0, total > 0 ? Math.min(done, total) : done),
                    Math.max(0, total));
            try {
                producer.send(signed(event), (meta, e) -> {
                    if (e != null) {
                        LOG.fine("progress event not sent: " + e);
                    }
                });
            } catch (RuntimeException e) {
                LOG.fine("progress event not sent: " + e);
            }
        };
    }

    private void publish(EventData data) {
        try {
            producer.send(signed(data)).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("could not publish " + data.getClass().getSimpleName(), e);
        }
    }

    /** An event of this worker's, signed with its release key: the orchestrator believes build events only so. */
    private ProducerRecord<String, byte[]> signed(EventData data) {
        return RecordSignatures.sign(EventCodec.toRecord(CloudEvent.of(config.source(), data, clock)), signer);
    }

    private void deadLetter(ConsumerRecord<String, byte[]> record, RejectReason reason, String detail) {
        LOG.warning("dead-lettering " + record.topic() + "-" + record.partition() + "@" + record.offset() + ": "
                + reason + " " + detail);
        try {
            producer.send(EventCodec.deadLetter(record, reason, detail, "build-worker")).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("dead-letter publish failed", e);
        }
    }

    @Override
    public void close() {
        running.set(false);
        consumer.wakeup();
        try {
            loop.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(5));
        server.close();
    }

    /** A failure with a stable reason code and a message a person can act on. */
    static final class BuildFailure extends Exception {
        final String reason;

        BuildFailure(String reason, String message) {
            super(message);
            this.reason = reason;
        }
    }
}
