package io.wslfleet.buildworker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

import io.wslfleet.buildworker.cli.BuildWorkerCli;
import io.wslfleet.protocol.release.Ed25519;
import io.wslfleet.protocol.release.ReleaseManifest;
import io.wslfleet.protocol.release.SignedManifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** pack → customize → inspect → verify through the command line, as an operator runs them. */
class CliTest {

    @TempDir
    Path tmp;

    private int run(StringBuilder out, String... args) {
        PrintStream saved = System.out;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buffer, true, StandardCharsets.UTF_8));
        try {
            return new CommandLine(new BuildWorkerCli()).execute(args);
        } finally {
            System.setOut(saved);
            out.append(buffer.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    void demoRootPackAndInspectHumanReadable() throws Exception {
        StringBuilder created = new StringBuilder();
        assertThat(run(created, "demo-root", tmp.resolve("demo").toString(), "--host", "lab", "--nixos-version", "25.05.4",
                "--generation", "7", "--fault", "NO_BOOT")).isZero();
        String systemPath = created.toString().trim();
        assertThat(systemPath).matches("/nix/store/[0-9a-z]{32}-nixos-system-lab-25\\.05\\.4");
        assertThat(Files.readString(tmp.resolve("demo").resolve(systemPath.substring(1)).resolve("wsl-fleet-fault")))
                .isEqualTo("noboot");
        Path packed = tmp.resolve("demo.wsl");
        StringBuilder out = new StringBuilder();
        assertThat(run(out, "pack", tmp.resolve("demo").toString(), packed.toString())).isZero();
        assertThat(Files.readString(tmp.resolve("demo.wsl.sha256")))
                .isEqualTo(BuildWorker.sha256(packed) + "  demo.wsl\n");
        StringBuilder human = new StringBuilder();
        assertThat(run(human, "inspect", packed.toString())).isZero();
        assertThat(human).contains("NixOS 25.05.4, host lab, generation 7").contains(systemPath);

        Files.write(packed, java.util.Arrays.copyOf(Files.readAllBytes(packed), 100));
        assertThat(run(new StringBuilder(), "inspect", packed.toString())).isEqualTo(2);

        // a refused customisation leaves nothing under the output's name, not even a readable part of it
        Path custom = tmp.resolve("custom.wsl");
        assertThat(run(new StringBuilder(), "customize", packed.toString(), custom.toString(), "--default-name", "X"))
                .isEqualTo(2);
        assertThat(custom).doesNotExist();
        assertThat(tmp.resolve("custom.wsl.sha256")).doesNotExist();
        assertThat(tmp.resolve("custom.wsl.part")).doesNotExist();
        assertThat(tmp.resolve(".custom.wsl.part")).doesNotExist();
    }

    @Test
    void packCustomizeInspectAndVerify() throws Exception {
        Path root = tmp.resolve("root");
        DemoRoot.create(root, "cli", "25.05.6", 1, DemoRoot.Fault.NONE);
        Path packed = tmp.resolve("nixos.wsl");
        assertThat(run(new StringBuilder(), "pack", root.toString(), packed.toString())).isZero();
        Files.writeString(tmp.resolve("configuration.nix"), "{ }\n");
        Path custom = tmp.resolve("out/nixos.wsl");
        Files.createDirectories(custom.getParent());
        StringBuilder out = new StringBuilder();
        assertThat(run(out, "customize", packed.toString(), custom.toString(), "--default-name", "Corp",
                "--file", "/etc/nixos/configuration.nix=" + tmp.resolve("configuration.nix"),
                "--wsl-conf", "interop.appendWindowsPath=false")).isZero();
        assertThat(out).contains("/etc/nixos/configuration.nix");
        String sha = Files.readString(custom.resolveSibling("nixos.wsl.sha256")).split(" ")[0];

        StringBuilder json = new StringBuilder();
        assertThat(run(json, "inspect", "--json", custom.toString())).isZero();
        assertThat(json).contains("\"hostName\" : \"cli\"").contains("\"nixosVersion\" : \"25.05.6\"");

        var keys = Ed25519.generate();
        var meta = io.wslfleet.protocol.Json.MAPPER.readValue(json.toString(), io.wslfleet.protocol.events.NixosMetadata.class);
        SignedManifest signed = SignedManifest.sign(new ReleaseManifest("rel-x", "25.05.6", sha, Files.size(custom), meta,
                Instant.now(), "k1"), keys.getPrivate());
        Files.writeString(custom.resolveSibling("manifest.json"), signed.manifestJson());
        Files.writeString(custom.resolveSibling("manifest.sig"), "k1 " + signed.signature() + "\n");
        String trusted = "k1=" + Ed25519.encode(keys.getPublic());
        assertThat(run(new StringBuilder(), "verify", custom.toString(), "--trusted-keys", trusted)).isZero();

        String other = "k1=" + Ed25519.encode(Ed25519.generate().getPublic());
        assertThat(run(new StringBuilder(), "verify", custom.toString(), "--trusted-keys", other)).isEqualTo(3);
        byte[] bytes = Files.readAllBytes(custom);
        bytes[bytes.length / 2] ^= 1;
        Files.write(custom, bytes);
        assertThat(run(new StringBuilder(), "verify", custom.toString(), "--trusted-keys", trusted)).isEqualTo(3);
    }

    @Test
    void verifyWithAMissingOrEmptySignatureIsRefusedWithExitThreeAndAMessage() throws Exception {
        Path archive = tmp.resolve("nixos.wsl");
        Files.writeString(archive, "x");
        Files.writeString(tmp.resolve("manifest.json"), "{}");
        String trusted = "k1=" + Ed25519.encode(Ed25519.generate().getPublic());
        StringBuilder err = new StringBuilder();
        assertThat(runWithStderr(err, "verify", archive.toString(), "--trusted-keys", trusted)).isEqualTo(3);
        assertThat(err).contains("REFUSED (MISSING)").contains("manifest.sig does not exist");
        Files.writeString(tmp.resolve("manifest.sig"), "");
        err.setLength(0);
        assertThat(runWithStderr(err, "verify", archive.toString(), "--trusted-keys", trusted)).isEqualTo(3);
        assertThat(err).contains("REFUSED (BAD_SIGNATURE)").contains("(it is empty)");
        Files.writeString(tmp.resolve("manifest.sig"), "k1 not-base64!\n");
        err.setLength(0);
        assertThat(runWithStderr(err, "verify", archive.toString(), "--trusted-keys", trusted)).isEqualTo(3);
    }

    @Test
    void inspectPrintsTheNixosWslVersionTheImagesScriptPrints() throws Exception {
        Path root = tmp.resolve("root");
        NixosRoots.create(root);
        Path image = tmp.resolve("nixos.wsl");
        Files.write(image, TarFixtures.gnuTarGz(root, ""));
        StringBuilder human = new StringBuilder();
        assertThat(run(human, "inspect", image.toString())).isZero();
        assertThat(human).contains("NixOS-WSL " + NixosRoots.NIXOS_WSL_VERSION + "\n");
    }

    @Test
    void aRefusedPackLeavesNothingAtTheOutputNorBeside() throws Exception {
        Path root = tmp.resolve("root");
        DemoRoot.create(root, "h", "25.05.1", 1, DemoRoot.Fault.NONE);
        Files.delete(root.resolve("nix/var/nix/profiles/system"));
        StringBuilder err = new StringBuilder();
        assertThat(runWithStderr(err, "pack", root.toString(), tmp.resolve("nixos.wsl").toString())).isEqualTo(2);
        assertThat(err).contains("refused: not a NixOS root: /nix/var/nix/profiles/system is missing");
        try (var left = Files.list(tmp)) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactly("root");
        }
    }

    @Test
    void theWorkerDoesNotStartWithoutTrustedOrchestratorKeys() {
        String key = Ed25519.encode(Ed25519.generate().getPrivate());
        String[] common = {"worker", "--signing-key", key, "--store", tmp.resolve("s").toString(),
                "--work", tmp.resolve("w").toString(), "--kafka", "127.0.0.1:1"};
        StringBuilder missing = new StringBuilder();
        assertThat(runWithStderr(missing, common)).isEqualTo(2);
        assertThat(missing).contains("FLEET_TRUST_ORCHESTRATOR_KEYS is not set");
        StringBuilder invalid = new StringBuilder();
        String[] withBadKeys = java.util.stream.Stream.concat(java.util.Arrays.stream(common),
                java.util.stream.Stream.of("--trust-orchestrator-keys", "orch-1=not-a-key")).toArray(String[]::new);
        assertThat(runWithStderr(invalid, withBadKeys)).isEqualTo(2);
        assertThat(invalid).contains("FLEET_TRUST_ORCHESTRATOR_KEYS is not a list");
    }

    private int runWithStderr(StringBuilder err, String... args) {
        java.io.PrintStream saved = System.err;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(buffer, true, StandardCharsets.UTF_8));
        try {
            return run(new StringBuilder(), args);
        } finally {
            System.setErr(saved);
            err.append(buffer.toString(StandardCharsets.UTF_8));
        }
    }
}
