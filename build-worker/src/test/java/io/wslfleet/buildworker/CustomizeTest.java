package io.wslfleet.buildworker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.wslfleet.protocol.events.BuildRequested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Customisation against GNU tar as the independent producer and lister: an upstream-shaped archive with the awkward
 * cases is customised, and {@code tar -tvv} lists the output exactly as the input but for the intended changes.
 */
class CustomizeTest {

    @TempDir
    Path tmp;

    private static String run(Path dir, String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(String.join(" ", command) + "\n" + out).isZero();
        return out;
    }

    /** GNU tar, as upstream packs: sorted names, mtime 1, numeric owners. */
    private Path upstreamArchive() throws Exception {
        upstreamRoot();
        Path archive = tmp.resolve("nixos.wsl");
        Files.write(archive, TarFixtures.gnuTarGz(tmp.resolve("root"), ""));
        return archive;
    }

    /** An upstream-shaped root with the awkward cases: long names, setuid, sticky, non-ASCII, symlinks, owners. */
    private Path upstreamRoot() throws Exception {
        Path root = tmp.resolve("root");
        DemoRoot.create(root, "nixos", "25.05.20250601.abcdef0", 1, DemoRoot.Fault.NONE);
        String longDir = "d".repeat(60) + "/" + "e".repeat(60);
        Files.createDirectories(root.resolve("nix/store/" + longDir));
        Files.writeString(root.resolve("nix/store/" + longDir + "/" + "f".repeat(110)), "long name");
        Files.createDirectories(root.resolve("var/empty"));
        Path setuid = root.resolve("bin/wrapper");
        Files.writeString(setuid, "#!/bin/sh\n");
        run(root, "chmod", "4755", setuid.toString());
        Files.createDirectories(root.resolve("tmp"));
        run(root, "chmod", "1777", root.resolve("tmp").toString());
        Files.writeString(root.resolve("etc/motd-ünïcödé"), "grüße");
        Files.createSymbolicLink(root.resolve("etc/localtime"), Path.of("/etc/zoneinfo/UTC"));
        run(root, "chown", "-h", "1000:100", root.resolve("home/nixos").toString());
        return root;
    }

    private List<String> listing(Path archive) throws Exception {
        return new ArrayList<>(List.of(run(tmp, "tar", "--numeric-owner", "-tvvzf", archive.toString()).split("\n")));
    }

    @Test
    void gnuTarListsTheCustomisedArchiveAsTheOriginalButForTheIntendedChanges() throws Exception {
        Path input = upstreamArchive();
        Path output = tmp.resolve("custom.wsl");
        var customization = new BuildRequested.Customization(
                Map.of("/etc/nixos/configuration.nix", "{ ... }: { wsl.enable = true; networking.proxy.default = \"http://proxy:3128\"; }\n",
                        "/etc/corp/ca/corp-root.crt", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"),
                "CorpNixOS", Map.of("network.generateResolvConf", "false", "boot.systemd", "true"));
        ArchiveCustomizer.Changes changes;
        try (InputStream in = Files.newInputStream(input); var out = Files.newOutputStream(output)) {
            changes = Plans.customize(in, out, Plans.checked(input, customization));
        }
        assertThat(changes.replaced()).containsExactlyInAnyOrder("/etc/nixos/configuration.nix",
                "/etc/wsl-distribution.conf", "/etc/wsl.conf");
        assertThat(changes.added()).containsExactly("/etc/corp/ca/corp-root.crt");

        List<String> before = listing(input);
        List<String> after = listing(output);
        // the replaced files keep mode, owner and mtime; only their size column may differ
        List<String> changed = List.of("./etc/nixos/configuration.nix", "./etc/wsl-distribution.conf", "./etc/wsl.conf");
        List<String> beforeKept = before.stream().filter(l -> changed.stream().noneMatch(l::endsWith)).toList();
        List<String> afterKept = after.stream().filter(l -> changed.stream().noneMatch(l::endsWith))
                .filter(l -> !l.contains("./etc/corp/")).toList();
        assertThat(afterKept).containsExactlyElementsOf(beforeKept);
        for (String name : changed) {
            String b = before.stream().filter(l -> l.endsWith(name)).findFirst().orElseThrow();
            String a = after.stream().filter(l -> l.endsWith(name)).findFirst().orElseThrow();
            assertThat(a.substring(0, 20)).isEqualTo(b.substring(0, 20)); // type, mode and owner
        }
        assertThat(after).anyMatch(l -> l.startsWith("drwxr-xr-x 0/0") && l.endsWith("./etc/corp/ca/"))
                .anyMatch(l -> l.endsWith("./etc/corp/ca/corp-root.crt"));
        assertThat(after).anyMatch(l -> l.startsWith("-rwsr-xr-x") && l.endsWith("./bin/wrapper"))
                .anyMatch(l -> l.startsWith("drwxrwxrwt") && l.endsWith("./tmp/"))
                .anyMatch(l -> l.contains(" 1000/100 ") && l.endsWith("./home/nixos/"))
                .anyMatch(l -> l.endsWith("./etc/localtime -> /etc/zoneinfo/UTC"))
                .anyMatch(l -> l.endsWith("f".repeat(110)))
                .anyMatch(l -> l.endsWith("./etc/motd-ünïcödé"));

        String conf = run(tmp, "sh", "-c", "tar -xzOf custom.wsl ./etc/wsl-distribution.conf");
        assertThat(conf).contains("defaultName = CorpNixOS").contains("[shortcut]").doesNotContain("defaultName = NixOS");
        String wslConf = run(tmp, "sh", "-c", "tar -xzOf custom.wsl ./etc/wsl.conf");
        assertThat(wslConf).contains("[network]\ngenerateResolvConf = false").contains("systemd = true")
                .contains("[automount]");
        try (InputStream in = Files.newInputStream(output)) {
            assertThat(ArchiveInspector.inspect(in, ArchiveInspector.Limits.DEFAULT).hostName()).isEqualTo("nixos");
        }
    }

    @Test
    void sameInputAndCustomisationGiveTheSameBytes() throws Exception {
        Path input = upstreamArchive();
        var customization = new BuildRequested.Customization(Map.of("/etc/issue", "Corp\n"), "Corp", Map.of());
        ByteArrayOutputStream a = new ByteArrayOutputStream();
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        Plans.customize(new ByteArrayInputStream(Files.readAllBytes(input)), a, Plans.checked(input, customization));
        Plans.customize(new ByteArrayInputStream(Files.readAllBytes(input)), b, Plans.checked(input, customization));
        assertThat(a.toByteArray()).isEqualTo(b.toByteArray());
    }

    /**
     * A sparse file in the upstream image ({@code tar --sparse}, old GNU or PAX format, 9 GiB or 256 MiB, with a name
     * too long for the ustar field) is refused by name, and nothing of it reaches the output: a sparse entry cannot be
     * written back as one, and writing its holes out as zeros is the expansion the limits are there to stop.
     */
    @Test
    void aSparseFileIsRefusedByNameAndNothingOfItIsWritten() throws Exception {
        Path root = upstreamRoot();
        String name = "/nix/store/" + "d".repeat(60) + "/" + "e".repeat(60) + "/swap.img";
        var customization = new BuildRequested.Customization(Map.of("/etc/issue", "Corp\n"), "Corp", Map.of());
        for (String size : List.of("9G", "256M")) {
            TarFixtures.sparseFile(root.resolve(name.substring(1)), size);
            for (String format : List.of("gnu", "posix")) {
                byte[] input = TarFixtures.gnuTarGz(root, "--sparse --format=" + format);
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                assertThatThrownBy(() -> Plans.customize(new ByteArrayInputStream(input), out, Plans.unchecked(customization)))
                        .as(size + " " + format).isInstanceOf(InvalidArchiveException.class)
                        .hasMessage(name + " is a sparse file (tar --sparse): sparse entries are not supported,"
                                + " a nixos.wsl is packed without --sparse");
                assertThat(out.size()).isLessThan(1 << 20);
                Path partial = tmp.resolve("partial.wsl");
                Files.write(partial, out.toByteArray());
                assertThat(listingOfWhatIsThere(partial)).noneMatch(l -> l.contains("swap.img"));
            }
        }
    }

    /**
     * A file over 8 GiB keeps its declared size, whether GNU tar declared it in a PAX {@code size} record or as a GNU
     * base-256 number (the output declares it in PAX), within the default limits. Only the header is checked: the
     * whole entry through the customiser means inflating, copying and deflating 9 GiB (about a minute on two cores,
     * and 9 GiB of zeros, the only content cheap to make, is also beyond the 200:1 expansion limit). So GNU tar's
     * output is cut after the headers: the customiser copies the header and fails where the input ends, and GNU tar
     * lists the header it wrote as it lists the input's.
     */
    @Test
    void aFileOver8GiBKeepsItsDeclaredSize() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("nine"));
        run(dir, "truncate", "-s", "9G", "big");
        for (String format : List.of("posix", "gnu")) {
            Path input = tmp.resolve(format + ".wsl");
            Files.write(input, TarFixtures.sh(dir, "tar --format=" + format + " --mtime=@1 --numeric-owner -cf - big"
                    + " 2>/dev/null | head -c 10240 | gzip -n"));
            Path output = tmp.resolve(format + "-custom.wsl");
            try (InputStream in = Files.newInputStream(input); var out = Files.newOutputStream(output)) {
                assertThatThrownBy(() -> Plans.customize(in, out,
                        Plans.unchecked(new BuildRequested.Customization(null, "Corp", null)))).as(format)
                        .isNotInstanceOf(InvalidArchiveException.class).hasMessageContaining("Truncated");
            }
            List<String> before = listingOfWhatIsThere(input);
            assertThat(before).singleElement().asString().contains(" 9663676416 ").endsWith(" big");
            assertThat(listingOfWhatIsThere(output)).as(format).isEqualTo(before);
        }
    }

    /** {@code tar -tvv} of an archive that may be cut short: the entries GNU tar got to, without its complaints. */
    private List<String> listingOfWhatIsThere(Path archive) throws Exception {
        Process p = new ProcessBuilder("tar", "--numeric-owner", "-tvvzf", archive.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out.isEmpty() ? List.of() : List.of(out.split("\n"));
    }

    @Test
    void iniEditsKeepEverythingElse() {
        String text = "# comment\n[oobe]\ndefaultName = NixOS\n\n[shortcut]\nicon = /etc/nixos.ico\n";
        assertThat(ArchiveCustomizer.setIni(text, Map.of("oobe.defaultName", "Corp", "shortcut.enabled", "false",
                "new.key", "v")))
                .isEqualTo("# comment\n[oobe]\ndefaultName = Corp\n\n[shortcut]\nicon = /etc/nixos.ico\nenabled = false\n[new]\nkey = v\n");
    }

    @SuppressWarnings("unused")
    private static String perms(String s) {
        return PosixFilePermissions.toString(PosixFilePermissions.fromString(s));
    }
}
