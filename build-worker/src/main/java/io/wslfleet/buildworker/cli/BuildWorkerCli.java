package io.wslfleet.buildworker.cli;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import io.wslfleet.buildworker.ArchiveCustomizer;
import io.wslfleet.buildworker.ArchiveInspector;
import io.wslfleet.buildworker.CustomizationRefusedException;
import io.wslfleet.buildworker.BuildWorker;
import io.wslfleet.buildworker.BuildWorkerConfig;
import io.wslfleet.buildworker.InvalidArchiveException;
import io.wslfleet.buildworker.RootPacker;
import io.wslfleet.protocol.Json;
import io.wslfleet.protocol.events.BuildRequested;
import io.wslfleet.protocol.events.NixosMetadata;
import io.wslfleet.protocol.release.Ed25519;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code build-worker <command>}: the worker and the tools around releases. */
@Command(name = "build-worker", mixinStandardHelpOptions = true,
        subcommands = {BuildWorkerCli.Pack.class, BuildWorkerCli.Inspect.class, BuildWorkerCli.Customize.class,
                BuildWorkerCli.Verify.class, BuildWorkerCli.Keygen.class, BuildWorkerCli.Worker.class,
                BuildWorkerCli.DemoRootCommand.class},
        description = "Builds, validates, signs, stores and publishes nixos.wsl releases.")
public final class BuildWorkerCli {

    public static void main(String[] args) {
        System.exit(new CommandLine(new BuildWorkerCli()).execute(args));
    }

    @Command(name = "pack", description = "Pack a NixOS-WSL root directory into a reproducible nixos.wsl.")
    static final class Pack implements Callable<Integer> {
        @Parameters(index = "0", description = "root directory")
        Path root;
        @Parameters(index = "1", description = "output file (nixos.wsl)")
        Path output;

        @Override
        public Integer call() throws Exception {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            // written beside the output and renamed when complete: a refused or failed pack leaves nothing at <out>
            Path partial = partial(output);
            try (OutputStream out = new java.security.DigestOutputStream(Files.newOutputStream(partial), sha)) {
                RootPacker.pack(root, out, ArchiveInspector.Limits.DEFAULT, done -> { });
            } catch (InvalidArchiveException e) {
                Files.deleteIfExists(partial);
                System.err.println("refused: " + e.getMessage());
                return 2;
            } catch (Exception e) {
                Files.deleteIfExists(partial);
                throw e;
            }
            String hex = HexFormat.of().formatHex(sha.digest());
            publish(partial, output, hex);
            System.out.println(hex + "  " + output);
            return 0;
        }
    }

    /** A temporary name beside {@code output}, for writing it whole before it takes its name. */
    static Path partial(Path output) {
        return output.toAbsolutePath().resolveSibling("." + output.getFileName() + ".part");
    }

    /** Moves the finished file to its name and writes its {@code .sha256} (sha256sum format) beside it, also renamed. */
    static void publish(Path partial, Path output, String sha256) throws java.io.IOException {
        Path shaFile = output.resolveSibling(output.getFileName() + ".sha256");
        Path shaPartial = partial(shaFile);
        Files.writeString(shaPartial, sha256 + "  " + output.getFileName() + "\n");
        Files.move(partial, output, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        Files.move(shaPartial, shaFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    @Command(name = "inspect", description = "Validate a nixos.wsl and print its NixOS metadata.")
    static final class Inspect implements Callable<Integer> {
        @Parameters(index = "0", description = "the nixos.wsl")
        Path archive;
        @Option(names = "--json", description = "print JSON")
        boolean json;

        @Override
        public Integer call() throws Exception {
            NixosMetadata m;
            try (InputStream in = Files.newInputStream(archive)) {
                m = ArchiveInspector.inspect(in, ArchiveInspector.Limits.DEFAULT);
            } catch (InvalidArchiveException e) {
                System.err.println("refused: " + e.getMessage());
                return 2;
            }
            if (json) {
                System.out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(m));
            } else {
                System.out.printf("NixOS %s, host %s, generation %d%nsystem    %s%nNixOS-WSL %s%nentries   %d, %d bytes uncompressed%n",
                        m.nixosVersion(), m.hostName(), m.generation(), m.systemPath(),
                        m.nixosWslVersion() == null ? "unknown" : m.nixosWslVersion(), m.entryCount(), m.uncompressedSize());
            }
            return 0;
        }
    }

    @Command(name = "customize", description = "Customise a nixos.wsl, streaming: add or replace files, set wsl.conf keys and the default name.")
    static final class Customize implements Callable<Integer> {
        @Parameters(index = "0", description = "the upstream nixos.wsl")
        Path input;
        @Parameters(index = "1", description = "output file")
        Path output;
        @Option(names = "--file", description = "/path/in/image=local-file (repeatable): the local file's bytes")
        java.util.Map<String, Path> files = new java.util.LinkedHashMap<>();
        @Option(names = "--mode", description = "/path/in/image=octal mode (0644, 0600, 4755) of a --file")
        java.util.Map<String, String> modes = new java.util.LinkedHashMap<>();
        @Option(names = "--owner", description = "/path/in/image=uid:gid (numeric) of a --file")
        java.util.Map<String, String> owners = new java.util.LinkedHashMap<>();
        @Option(names = "--default-name", description = "defaultName in /etc/wsl-distribution.conf")
        String defaultName;
        @Option(names = "--wsl-conf", description = "section.key=value in /etc/wsl.conf (repeatable; refused where NixOS"
                + " manages /etc/wsl.conf: set wsl.wslConf in the flake instead)")
        java.util.Map<String, String> wslConf = new java.util.LinkedHashMap<>();

        @Override
        public Integer call() throws Exception {
            java.util.List<BuildRequested.File> contents = new java.util.ArrayList<>();
            ArchiveCustomizer.Plan plan;
            try {
                for (String path : modes.keySet()) {
                    requireFile(path, "--mode");
                }
                for (String path : owners.keySet()) {
                    requireFile(path, "--owner");
                }
                for (var e : files.entrySet()) {
                    Long uid = null;
                    Long gid = null;
                    String owner = owners.get(e.getKey());
                    if (owner != null) {
                        if (!owner.matches("\\d+:\\d+")) {
                            throw new IllegalArgumentException("--owner " + e.getKey() + "=" + owner + ": give uid:gid, numeric");
                        }
                        uid = Long.parseLong(owner.substring(0, owner.indexOf(':')));
                        gid = Long.parseLong(owner.substring(owner.indexOf(':') + 1));
                    }
                    if (!Files.isRegularFile(e.getValue())) {
                        throw new IllegalArgumentException("--file " + e.getKey() + "=" + e.getValue() + ": no such file");
                    }
                    contents.add(BuildRequested.File.of(e.getKey(), Files.readAllBytes(e.getValue()),
                            modes.get(e.getKey()), uid, gid));
                }
                var customization = new BuildRequested.Customization(java.util.Map.of(), defaultName, wslConf, contents);
                var targets = ArchiveCustomizer.targets(customization);
                try (InputStream in = Files.newInputStream(input)) {
                    // as the worker does: the upstream image is validated whole, and the customisation checked
                    // against it, before anything is written
                    plan = ArchiveCustomizer.plan(customization,
                            ArchiveInspector.inspect(in, ArchiveInspector.Limits.DEFAULT, targets));
                }
            } catch (IllegalArgumentException e) {
                System.err.println("refused: " + e.getMessage());
                return 2;
            } catch (InvalidArchiveException | CustomizationRefusedException e) {
                System.err.println("refused: " + e.getMessage());
                return 2;
            }
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            ArchiveCustomizer.Changes changes;
            // written beside the output and renamed when complete: a refused input leaves no file under its name
            Path partial = partial(output);
            try (OutputStream out = new java.security.DigestOutputStream(
                    new java.io.BufferedOutputStream(Files.newOutputStream(partial), 1 << 16), sha)) {
                changes = ArchiveCustomizer.customize(input, out, plan, ArchiveInspector.Limits.DEFAULT, done -> { });
            } catch (InvalidArchiveException | CustomizationRefusedException e) {
                Files.deleteIfExists(partial);
                System.err.println("refused: " + e.getMessage());
                return 2;
            } catch (Exception e) {
                Files.deleteIfExists(partial);
                throw e;
            }
            String hex = HexFormat.of().formatHex(sha.digest());
            publish(partial, output, hex);
            System.out.println("replaced " + changes.replaced() + ", added " + changes.added());
            System.out.println(hex + "  " + output);
            return 0;
        }

        private void requireFile(String path, String option) {
            if (!files.containsKey(path)) {
                throw new IllegalArgumentException(option + " " + path + ": no --file " + path + "=… to apply it to");
            }
        }
    }

    @Command(name = "verify", description = "Check a nixos.wsl against its signed manifest: signature by a trusted key, size and sha256.")
    static final class Verify implements Callable<Integer> {
        @Parameters(index = "0", description = "the nixos.wsl")
        Path archive;
        @Option(names = "--manifest", description = "manifest.json (default: next to the archive)")
        Path manifest;
        @Option(names = "--signature", description = "manifest.sig: '<keyId> <base64 signature>' (default: next to the archive)")
        Path signature;
        @Option(names = "--trusted-keys", required = true, defaultValue = "${env:FLEET_TRUSTED_KEYS}",
                description = "keyId=base64,... (default: FLEET_TRUSTED_KEYS)")
        String trustedKeys;

        @Override
        public Integer call() throws Exception {
            Path manifestFile = manifest != null ? manifest : archive.resolveSibling("manifest.json");
            Path signatureFile = signature != null ? signature : archive.resolveSibling("manifest.sig");
            for (Path required : new Path[] {archive, manifestFile, signatureFile}) {
                if (!Files.isRegularFile(required)) {
                    System.err.println("REFUSED (MISSING): " + required + " does not exist; a release is verified with"
                            + " its manifest.json and manifest.sig");
                    return 3;
                }
            }
            String[] sig = Files.readString(signatureFile).trim().split("\\s+");
            if (sig.length != 2) {
                System.err.println("REFUSED (BAD_SIGNATURE): " + signatureFile + " does not hold '<keyId> <base64 signature>'"
                        + (sig.length == 1 && sig[0].isEmpty() ? " (it is empty)" : ""));
                return 3;
            }
            try {
                var verified = io.wslfleet.protocol.release.ManifestVerifier.parse(trustedKeys)
                        .verify(Files.readString(manifestFile), sig[1], sig[0]);
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                try (InputStream in = new java.security.DigestInputStream(Files.newInputStream(archive), sha)) {
                    in.transferTo(OutputStream.nullOutputStream());
                }
                io.wslfleet.protocol.release.ManifestVerifier.checkArtifact(verified, HexFormat.of().formatHex(sha.digest()),
                        Files.size(archive));
                System.out.println("OK: " + verified.releaseId() + " " + verified.version() + ", signed by " + sig[0]
                        + ", sha256 " + verified.sha256());
                return 0;
            } catch (io.wslfleet.protocol.release.UntrustedReleaseException e) {
                System.err.println("REFUSED (" + e.reason() + "): " + e.getMessage());
                return 3;
            } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
                System.err.println("REFUSED (UNREADABLE): " + e.getMessage());
                return 3;
            }
        }
    }

    @Command(name = "keygen", description = "Make an Ed25519 signing key pair: prints FLEET_SIGNING_KEY and the agents' trust entry.")
    static final class Keygen implements Callable<Integer> {
        @Option(names = "--key-id", defaultValue = "release-1", description = "key id (default: ${DEFAULT-VALUE})")
        String keyId;

        @Override
        public Integer call() {
            KeyPair pair = Ed25519.generate();
            System.out.println("FLEET_SIGNING_KEY_ID=" + keyId);
            System.out.println("FLEET_SIGNING_KEY=" + Ed25519.encode(pair.getPrivate()));
            System.out.println("# for agents' FLEET_TRUSTED_KEYS:");
            System.out.println(keyId + "=" + Ed25519.encode(pair.getPublic()));
            return 0;
        }
    }

    @Command(name = "demo-root", description = "Create a small NixOS-WSL-shaped root directory (for the sandbox and trials).")
    static final class DemoRootCommand implements Callable<Integer> {
        @Parameters(index = "0", description = "directory to create")
        Path dir;
        @Option(names = "--host", defaultValue = "fleet-demo", description = "host name (default: ${DEFAULT-VALUE})")
        String host;
        @Option(names = "--nixos-version", defaultValue = "25.05.1", description = "NixOS version (default: ${DEFAULT-VALUE})")
        String version;
        @Option(names = "--generation", defaultValue = "1", description = "system generation (default: ${DEFAULT-VALUE})")
        int generation;
        @Option(names = "--fault", defaultValue = "NONE", description = "NONE, DEGRADED or NO_BOOT (default: ${DEFAULT-VALUE})")
        io.wslfleet.buildworker.DemoRoot.Fault fault;

        @Override
        public Integer call() throws Exception {
            System.out.println(io.wslfleet.buildworker.DemoRoot.create(dir, host, version, generation, fault));
            return 0;
        }
    }

    @Command(name = "worker", description = "Run the build worker: consume fleet.build-requests, publish on fleet.artifacts. "
            + "Kafka security: the FLEET_KAFKA_* variables (FLEET_KAFKA_SECURITY_PROTOCOL, _USERNAME, _PASSWORD, _TRUSTSTORE, ...).")
    static final class Worker implements Callable<Integer> {
        @Option(names = "--kafka", defaultValue = "${env:FLEET_KAFKA_BOOTSTRAP:-localhost:9092}")
        String kafka;
        @Option(names = "--store", defaultValue = "${env:FLEET_STORE_DIR:-artifacts}")
        Path store;
        @Option(names = "--work", defaultValue = "${env:FLEET_WORK_DIR:-build-work}")
        Path work;
        @Option(names = "--port", defaultValue = "${env:FLEET_ARTIFACT_PORT:-8081}")
        int port;
        @Option(names = "--host", defaultValue = "${env:FLEET_ARTIFACT_HOST:-0.0.0.0}")
        String host;
        @Option(names = "--public-url", defaultValue = "${env:FLEET_ARTIFACT_PUBLIC_URL}")
        String publicUrl;
        @Option(names = "--key-id", defaultValue = "${env:FLEET_SIGNING_KEY_ID:-release-1}")
        String keyId;
        @Option(names = "--signing-key", defaultValue = "${env:FLEET_SIGNING_KEY}", description = "base64 PKCS#8 Ed25519 private key")
        String signingKey;
        @Option(names = "--nix", defaultValue = "${env:FLEET_NIX_PATH:-nix}", description = "the nix program for FLAKE builds")
        String nix;
        @Option(names = "--source", defaultValue = "${env:FLEET_SOURCE}",
                description = "CloudEvents source of what this worker publishes (default: urn:wsl-fleet:build-worker:<host name>)")
        String source;
        @Option(names = "--trust-orchestrator-keys", defaultValue = "${env:FLEET_TRUST_ORCHESTRATOR_KEYS}",
                description = "keyId=base64,... : the orchestrator keys a build request must be signed with "
                        + "(required; default: FLEET_TRUST_ORCHESTRATOR_KEYS)")
        String orchestratorKeys;

        @Override
        public Integer call() throws Exception {
            if (signingKey == null || signingKey.isBlank()) {
                System.err.println("no signing key: set FLEET_SIGNING_KEY (see `build-worker keygen`)");
                return 2;
            }
            BuildWorkerConfig config;
            try {
                config = BuildWorkerConfig.builder().kafkaBootstrap(kafka)
                        .kafkaSecurity(io.wslfleet.protocol.kafka.KafkaClientSettings.security(System.getenv()))
                        .storeDir(store).workDir(work)
                        .httpHost(host).httpPort(port).publicBaseUrl(publicUrl)
                        .signingKey(keyId, Ed25519.privateKey(signingKey)).nixPath(nix)
                        .orchestratorKeys(orchestratorKeys)
                        .source(source != null && !source.isBlank() ? source
                                : "urn:wsl-fleet:build-worker:" + java.net.InetAddress.getLocalHost().getHostName())
                        .build();
            } catch (IllegalArgumentException e) {
                System.err.println("build-worker: cannot start: " + e.getMessage());
                return 2;
            }
            CountDownLatch stop = new CountDownLatch(1);
            BuildWorker worker;
            try {
                worker = BuildWorker.start(config);
            } catch (IllegalArgumentException e) {
                System.err.println(e.getMessage());
                return 2;
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                worker.close();
                stop.countDown();
            }));
            System.out.println("build worker running; artifacts at " + worker.artifactBaseUrl());
            stop.await();
            return 0;
        }
    }
}
