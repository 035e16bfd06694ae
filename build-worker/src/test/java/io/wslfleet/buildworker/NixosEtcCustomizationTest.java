package io.wslfleet.buildworker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import io.wslfleet.protocol.Json;
import io.wslfleet.protocol.events.BuildRequested;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Customisations of an image whose {@code /etc} is as NixOS's activation leaves it ({@link NixosRoots}), packed by
 * GNU tar as upstream does and listed by {@code tar -tvv}: what NixOS puts back at boot is refused with the option
 * to set instead; what survives is written once, with its bytes, mode and owner.
 */
class NixosEtcCustomizationTest {

    @TempDir
    Path tmp;
    Path image;

    @BeforeEach
    void upstreamImage() throws Exception {
        Path root = tmp.resolve("root");
        NixosRoots.create(root);
        image = tmp.resolve("nixos.wsl");
        Files.write(image, TarFixtures.gnuTarGz(root, ""));
    }

    private static BuildRequested.Customization files(String path, String content) {
        return new BuildRequested.Customization(Map.of(path, content), null, Map.of());
    }

    @Test
    void wslConfSettingsAreRefusedWhereNixosManagesWslConfPointingAtWslWslConf() {
        var wslConf = new BuildRequested.Customization(Map.of(), null, Map.of("automount.root", "/windows"));
        assertThatThrownBy(() -> Plans.checked(image, wslConf)).isInstanceOf(CustomizationRefusedException.class)
                .hasMessageContaining("/etc/wsl.conf is a symlink -> /etc/static/wsl.conf")
                .hasMessageContaining("activation links it back")
                .hasMessageContaining("wsl.wslConf.automount.root").hasMessageContaining("FLAKE");
        assertThatThrownBy(() -> Plans.checked(image, files("/etc/wsl.conf", "[boot]\nsystemd=true\n")))
                .isInstanceOf(CustomizationRefusedException.class).hasMessageContaining("is a symlink");
    }

    @Test
    void aFileThroughAManagedDirectoryLinkIsRefusedPointingAtSecurityPki() {
        assertThatThrownBy(() -> Plans.checked(image, files("/etc/ssl/certs/corp.pem", "-----BEGIN CERTIFICATE-----\n")))
                .isInstanceOf(CustomizationRefusedException.class)
                .hasMessageContaining("passes through the symlink /etc/ssl/certs -> /etc/static/ssl/certs")
                .hasMessageContaining("security.pki.certificateFiles");
    }

    @Test
    void filesNixosPutsBackAtActivationAreRefused() {
        assertThatThrownBy(() -> Plans.checked(image, files("/etc/sudoers", "ALL ALL=(ALL) NOPASSWD: ALL\n")))
                .isInstanceOf(CustomizationRefusedException.class).hasMessageContaining("a file NixOS manages")
                .hasMessageContaining("security.sudo");
        assertThatThrownBy(() -> Plans.checked(image, files("/etc/passwd", "x")))
                .isInstanceOf(CustomizationRefusedException.class).hasMessageContaining("rewritten by NixOS")
                .hasMessageContaining("users.users");
        assertThatThrownBy(() -> Plans.checked(image, files("/nix/store/x", "x")))
                .isInstanceOf(CustomizationRefusedException.class).hasMessageContaining("under /nix");
        assertThatThrownBy(() -> Plans.checked(image, files("/bin/sh", "x")))
                .isInstanceOf(CustomizationRefusedException.class).hasMessageContaining("under /bin");
        assertThatThrownBy(() -> Plans.checked(image, files("/etc/nixos", "x")))
                .isInstanceOf(CustomizationRefusedException.class).hasMessageContaining("is a directory");
    }

    @Test
    void whatSurvivesNixosIsWrittenOnceWithItsBytesModeAndOwner() throws Exception {
        byte[] der = derCertificate();
        // as the orchestrator sends it: JSON, file contents base64 with mode and owner
        String json = "{\"files\":{\"/etc/nixos/corp.nix\":\"{ ... }: { }\\n\"},\"defaultName\":\"CorpNixOS\","
                + "\"fileContents\":[{\"path\":\"/etc/corp/ca/corp-root.der\",\"contentBase64\":\""
                + java.util.Base64.getEncoder().encodeToString(der) + "\",\"mode\":\"0600\",\"uid\":0,\"gid\":0},"
                + "{\"path\":\"/home/nixos/.config/corp/proxy.env\",\"contentBase64\":\"aHR0cF9wcm94eT1wcm94eTozMTI4Cg==\","
                + "\"uid\":1000,\"gid\":100}]}";
        var customization = Json.MAPPER.readValue(json, BuildRequested.Customization.class);
        Path output = tmp.resolve("custom.wsl");
        try (InputStream in = Files.newInputStream(image); OutputStream out = Files.newOutputStream(output)) {
            Plans.customize(in, out, Plans.checked(image, customization));
        }

        List<String> before = lines(TarFixtures.listing(image));
        List<String> after = lines(TarFixtures.listing(output));
        List<String> names = after.stream().map(l -> l.substring(l.indexOf(" ./") + 1)).toList();
        assertThat(names).doesNotHaveDuplicates();
        assertThat(after).filteredOn(l -> l.endsWith(" ./etc/corp/ca/corp-root.der")).singleElement().asString()
                .matches("-rw------- 0/0 +" + der.length + " .*");
        assertThat(after).filteredOn(l -> l.endsWith(" ./home/nixos/.config/corp/proxy.env")).singleElement()
                .asString().startsWith("-rw-r--r-- 1000/100 ");
        assertThat(after).anyMatch(l -> l.startsWith("drwxr-xr-x 0/0 ") && l.endsWith(" ./etc/corp/"))
                .anyMatch(l -> l.endsWith(" ./etc/wsl.conf -> /etc/static/wsl.conf"))
                .anyMatch(l -> l.endsWith(" ./etc/ssl/certs -> /etc/static/ssl/certs"));
        // everything else as it was, in GNU tar's --sort=name order (added files where GNU tar would put them)
        List<String> untouched = List.of("./etc/wsl-distribution.conf", "./etc/corp", "./home/nixos/.config",
                "./etc/nixos/corp.nix");
        assertThat(after.stream().filter(l -> untouched.stream().noneMatch(l::contains)).toList())
                .containsExactlyElementsOf(before.stream().filter(l -> untouched.stream().noneMatch(l::contains)).toList());
        assertThat(names).isSortedAccordingTo(ArchiveCustomizer::compareAsSorted);
        assertThat(TarFixtures.sh(tmp, "tar -xzOf custom.wsl ./etc/corp/ca/corp-root.der")).isEqualTo(der);
        assertThat(new String(TarFixtures.sh(tmp, "tar -xzOf custom.wsl ./etc/wsl-distribution.conf"), StandardCharsets.UTF_8))
                .contains("defaultName = CorpNixOS");
        try (InputStream in = Files.newInputStream(output)) {
            assertThat(ArchiveInspector.inspect(in, ArchiveInspector.Limits.DEFAULT).nixosWslVersion())
                    .isEqualTo(NixosRoots.NIXOS_WSL_VERSION);
        }
    }

    /** Upstream compresses with pigz: its blocks, sync-flushed, read like any gzip, and customise as well. */
    @Test
    void anImageCompressedByPigzAsUpstreamDoesIsReadAndCustomised() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(new ProcessBuilder("sh", "-c", "command -v pigz").start().waitFor() == 0,
                "pigz is not installed (apt-get install -y pigz): skipping the test with pigz as the producer");
        // a store path of some MiB after /etc, as a closure has: pigz makes many blocks of it
        StringBuilder text = new StringBuilder();
        for (int i = 0; text.length() < 3 << 20; i++) {
            text.append("line ").append(i).append(" of a closure file ").append(i * 7919 % 10007).append('\n');
        }
        NixosRoots.write(tmp.resolve("root"), "/nix/store/" + DemoRoot.storeHash("big") + "-big/share/doc.txt",
                text.toString());
        Path pigzImage = tmp.resolve("pigz.wsl");
        Files.write(pigzImage, TarFixtures.sh(tmp.resolve("root"),
                "tar --sort=name --mtime=@1 --numeric-owner --hard-dereference -cf - . | pigz"));
        var customization = new BuildRequested.Customization(Map.of("/etc/nixos/corp.nix", "{ }\n"), "Corp", Map.of());
        Path streamed = tmp.resolve("streamed.wsl");
        try (InputStream in = Files.newInputStream(pigzImage); OutputStream out = Files.newOutputStream(streamed)) {
            Plans.customize(in, out, Plans.checked(pigzImage, customization));
        }
        assertThat(lines(TarFixtures.listing(streamed)).stream().filter(l -> !l.contains("./etc/nixos/corp.nix")
                && !l.contains("./etc/wsl-distribution.conf")).toList())
                .containsExactlyElementsOf(lines(TarFixtures.listing(pigzImage)).stream()
                        .filter(l -> !l.contains("./etc/wsl-distribution.conf")).toList());
        // from the file, the output ends in pigz's own compressed bytes: the same listing, a valid gzip
        Path spliced = tmp.resolve("spliced.wsl");
        try (OutputStream out = Files.newOutputStream(spliced)) {
            ArchiveCustomizer.customize(pigzImage, out, Plans.checked(pigzImage, customization),
                    ArchiveInspector.Limits.DEFAULT, done -> { });
        }
        TarFixtures.sh(tmp, "gzip -t spliced.wsl");
        assertThat(TarFixtures.listing(spliced)).isEqualTo(TarFixtures.listing(streamed));
        // the input's compressed bytes end the output as they are (all but the 8-byte trailer)
        byte[] input = Files.readAllBytes(pigzImage);
        byte[] out = Files.readAllBytes(spliced);
        assertThat(Arrays.copyOfRange(out, out.length - 100_000, out.length - 8))
                .isEqualTo(Arrays.copyOfRange(input, input.length - 100_000, input.length - 8));
        try (InputStream in = Files.newInputStream(spliced)) {
            assertThat(ArchiveInspector.inspect(in, ArchiveInspector.Limits.DEFAULT).nixosWslVersion())
                    .isEqualTo(NixosRoots.NIXOS_WSL_VERSION);
        }
    }

    @Test
    void inspectRefusesTwoEntriesOfOneNameAsGnuTarAppendsThem() throws Exception {
        Path root = tmp.resolve("root");
        TarFixtures.sh(root, "tar --sort=name --mtime=@1 --numeric-owner -cf ../twice.tar . && printf 'x' > ../wsl.conf"
                + " && tar -rf ../twice.tar --transform='s,^wsl.conf,./etc/wsl.conf,' -C .. wsl.conf && gzip -n ../twice.tar");
        assertThat(new String(TarFixtures.listing(tmp.resolve("twice.tar.gz")), StandardCharsets.UTF_8).lines()
                .filter(l -> l.endsWith("./etc/wsl.conf") || l.contains("./etc/wsl.conf -> "))).hasSize(2);
        assertRefused(tmp.resolve("twice.tar.gz"), "two entries named /etc/wsl.conf");
    }

    @Test
    void inspectRefusesAnEntryThroughASymlinkWhicheverComesFirst() throws Exception {
        Path evil = Files.createDirectories(tmp.resolve("evil/etc/ssl/certs"));
        Files.writeString(evil.resolve("corp.pem"), "x");
        // the link first, as --sort=name gives it, then the entry under it; and the other way round
        TarFixtures.sh(tmp, "tar --mtime=@1 --numeric-owner -cf - -C root . -C ../evil ./etc/ssl/certs/corp.pem | gzip -n > after.wsl");
        TarFixtures.sh(tmp, "tar --mtime=@1 --numeric-owner -cf - -C evil ./etc/ssl/certs/corp.pem -C ../root . | gzip -n > before.wsl");
        for (String name : List.of("after.wsl", "before.wsl")) {
            assertRefused(tmp.resolve(name), "passes through the symlink /etc/ssl/certs -> /etc/static/ssl/certs");
        }
    }

    private static void assertRefused(Path archive, String message) {
        assertThatThrownBy(() -> {
            try (InputStream in = Files.newInputStream(archive)) {
                ArchiveInspector.inspect(in, ArchiveInspector.Limits.DEFAULT);
            }
        }).isInstanceOf(InvalidArchiveException.class).hasMessageContaining(message);
    }

    private static List<String> lines(byte[] listing) {
        return Arrays.stream(new String(listing, StandardCharsets.UTF_8).split("\n")).collect(Collectors.toList());
    }

    /** The start of a DER certificate: binary, not UTF-8 (0x82, 0xff…). */
    static byte[] derCertificate() {
        ByteArrayOutputStream der = new ByteArrayOutputStream();
        der.writeBytes(new byte[] {0x30, (byte) 0x82, 0x03, 0x12, 0x30, (byte) 0x82, 0x01, (byte) 0xfa, (byte) 0xa0, 0x03});
        for (int i = 0; i < 700; i++) {
            der.write((i * 151 + 7) & 0xff);
        }
        return der.toByteArray();
    }
}
