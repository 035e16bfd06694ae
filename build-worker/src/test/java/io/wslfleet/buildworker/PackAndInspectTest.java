package io.wslfleet.buildworker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;

import io.wslfleet.protocol.events.BuildRequested;
import io.wslfleet.protocol.events.NixosMetadata;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PackAndInspectTest {

    @TempDir
    Path tmp;

    private byte[] pack(Path root) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        RootPacker.pack(root, out, done -> { });
        return out.toByteArray();
    }

    @Test
    void packedDemoRootValidatesAndYieldsItsMetadata() throws Exception {
        Path root = tmp.resolve("root");
        String systemPath = DemoRoot.create(root, "fleet-demo", "25.05.3", 4, DemoRoot.Fault.NONE);

        NixosMetadata m = ArchiveInspector.inspect(new ByteArrayInputStream(pack(root)), ArchiveInspector.Limits.DEFAULT);

        assertThat(m.systemPath()).isEqualTo(systemPath);
        assertThat(m.hostName()).isEqualTo("fleet-demo");
        assertThat(m.nixosVersion()).isEqualTo("25.05.3");
        assertThat(m.generation()).isEqualTo(4);
        assertThat(m.nixosWslVersion()).isEqualTo("2505.7.0");
        assertThat(m.entryCount()).isGreaterThan(20);
    }

    @Test
    void theSameTreeGivesTheSameBytes() throws Exception {
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        DemoRoot.create(a, "h", "25.05.1", 1, DemoRoot.Fault.NONE);
        DemoRoot.create(b, "h", "25.05.1", 1, DemoRoot.Fault.NONE);
        Files.setLastModifiedTime(b.resolve("etc/wsl.conf"), java.nio.file.attribute.FileTime.fromMillis(123456789));

        assertThat(pack(a)).isEqualTo(pack(b));
    }

    @Test
    void gnuTarListsTheArchiveInUpstreamOrderWithMtimeOneAndNumericOwners() throws Exception {
        Path root = tmp.resolve("root");
        DemoRoot.create(root, "h", "25.05.1", 1, DemoRoot.Fault.NONE);
        Files.createDirectories(root.resolve("a"));
        Files.writeString(root.resolve("a/b"), "x");
        Files.writeString(root.resolve("a-c"), "y");
        String longName = "x".repeat(120);
        Files.writeString(root.resolve(longName), "long");
        Files.writeString(root.resolve("grüße.txt"), "utf8");
        Path archive = tmp.resolve("nixos.wsl");
        Files.write(archive, pack(root));

        Process p = new ProcessBuilder("tar", "--numeric-owner", "--full-time", "-tvzf", archive.toString())
                .redirectErrorStream(true).start();
        List<String> lines = Arrays.asList(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split("\n"));
        assertThat(p.waitFor()).isZero();

        List<String> names = lines.stream().map(l -> l.substring(l.indexOf(" ./") + 1).replaceAll(" -> .*", "")).toList();
        // GNU tar --sort=name order: a directory's entries sorted, depth first (so a/b before a-c)
        assertThat(names.indexOf("./a/b")).isLessThan(names.indexOf("./a-c"));
        assertThat(names).contains("./" + longName, "./grüße.txt", "./nix/var/nix/profiles/system");
        assertThat(lines).allSatisfy(l -> assertThat(l).contains("1970-01-01 00:00:01").contains(" 0/0 "));
        assertThat(lines.stream().filter(l -> l.contains("./nix/var/nix/profiles/system ->")))
                .singleElement().asString().endsWith("-> system-1-link");
    }

    @Test
    void refusesWhatIsNotASafeNixosWslRoot() throws Exception {
        Path root = tmp.resolve("root");
        DemoRoot.create(root, "h", "25.05.1", 1, DemoRoot.Fault.NONE);
        byte[] good = pack(root);

        assertRefused("hello, not gzip".getBytes(StandardCharsets.UTF_8), "not a gzip file");
        assertRefused(Arrays.copyOf(good, good.length / 2), "truncated");
        byte[] flipped = good.clone();
        flipped[good.length - 8] ^= 0x5a; // the gzip trailer's CRC-32: corrupt wherever the content ends
        assertRefused(flipped, "corrupt");
        assertRefused(tarGz(entry("../etc/passwd", "x")), "..");
        assertRefused(tarGz(entry("/etc/passwd", "x")), "absolute");
        TarArchiveEntry hard = new TarArchiveEntry("./bin/sh", org.apache.commons.compress.archivers.tar.TarConstants.LF_LINK);
        hard.setLinkName("./bin/bash");
        assertRefused(tarGz(new Entry(hard, null)), "hard link");
        Files.delete(root.resolve("bin/nixos-wsl-recovery"));
        assertPackAndInspectRefuse(root, "not a NixOS-WSL root: /bin/nixos-wsl-recovery is missing");
    }

    @Test
    void aRootThatWouldBeRefusedAsABombIsRefusedByPackAfterAFewMegabytesNotAfterPackingIt() throws Exception {
        Path root = tmp.resolve("root");
        DemoRoot.create(root, "h", "25.05.1", 1, DemoRoot.Fault.NONE);
        TarFixtures.sh(root, "truncate -s 1G var-zeros.img");
        // GNU tar + gzip as the producer: inspect refuses what it made
        byte[] gnu = TarFixtures.sh(root, "tar --sort=name --mtime=@1 --numeric-owner -cf - . | gzip -n -1 | head -c 8000000");
        assertThatThrownBy(() -> ArchiveInspector.inspect(new ByteArrayInputStream(gnu), ArchiveInspector.Limits.DEFAULT))
                .hasMessageContaining("expands more than 200 times");
        long[] written = {0};
        OutputStream counting = new OutputStream() {
            @Override
            public void write(int b) {
                written[0]++;
            }

            @Override
            public void write(byte[] b, int off, int len) {
                written[0] += len;
            }
        };
        long started = System.nanoTime();
        assertThatThrownBy(() -> RootPacker.pack(root, counting, done -> { }))
                .isInstanceOf(InvalidArchiveException.class).hasMessageContaining("expands more than 200 times");
        assertThat(written[0]).as("compressed bytes written before the refusal").isLessThan(1 << 20);
        assertThat(System.nanoTime() - started).as("refused long before 1 GiB is compressed").isLessThan(20_000_000_000L);
    }

    @Test
    void aMissingSystemProfileIsReportedAsMissingAndAFileThereAsNoSymlink() throws Exception {
        Path root = tmp.resolve("root");
        DemoRoot.create(root, "h", "25.05.1", 1, DemoRoot.Fault.NONE);
        Files.delete(root.resolve("nix/var/nix/profiles/system"));
        assertPackAndInspectRefuse(root, "not a NixOS root: /nix/var/nix/profiles/system is missing");
        Files.writeString(root.resolve("nix/var/nix/profiles/system"), "system-1-link");
        assertPackAndInspectRefuse(root, "not a NixOS root: /nix/var/nix/profiles/system is not a symlink");
    }

    @Test
    void aTruncatedArchiveSaysWhereItEndsNotNull() throws Exception {
        Path root = tmp.resolve("root");
        DemoRoot.create(root, "h", "25.05.1", 1, DemoRoot.Fault.NONE);
        byte[] good = TarFixtures.gnuTarGz(root, "");
        for (int length : new int[] {good.length / 3, good.length / 2, good.length - 9}) {
            assertThatThrownBy(() -> ArchiveInspector.inspect(new ByteArrayInputStream(Arrays.copyOf(good, length)),
                    ArchiveInspector.Limits.DEFAULT)).isInstanceOf(InvalidArchiveException.class)
                    .hasMessageStartingWith("truncated archive").hasMessageNotContaining("null");
        }
    }

    /**
     * GNU tar's archive of {@code root} is refused by inspect, and pack refuses the root itself with the same
     * message, before writing anything.
     */
    private void assertPackAndInspectRefuse(Path root, String message) throws Exception {
        assertRefused(TarFixtures.gnuTarGz(root, ""), message);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThatThrownBy(() -> RootPacker.pack(root, out, done -> { }))
                .isInstanceOf(InvalidArchiveException.class).hasMessageContaining(message);
        assertThat(out.size()).isZero();
    }

    @Test
    void aDecompressionBombIsStoppedEarly() throws Exception {
        ByteArrayOutputStream bomb = new ByteArrayOutputStream();
        try (var tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(bomb))) {
            TarArchiveEntry e = new TarArchiveEntry("./zeros");
            long size = 64L << 20;
            e.setSize(size);
            tar.putArchiveEntry(e);
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 64; i++) {
                tar.write(zeros);
            }
            tar.closeArchiveEntry();
        }
        assertThat(bomb.size()).isLessThan(200_000);
        assertRefused(bomb.toByteArray(), "expands more than");
        assertThatThrownBy(() -> ArchiveInspector.inspect(new ByteArrayInputStream(bomb.toByteArray()),
                new ArchiveInspector.Limits(10, 1L << 40, 1_000_000_000)))
                .hasMessageContaining("not a NixOS-WSL root");
    }

    @Test
    void aBombInsideOneEntryIsRefusedAfterReadingAFractionOfIt() throws Exception {
        byte[] bomb = TarFixtures.zeroBomb(256L << 20);
        long[] read = {0};
        InputStream counting = new java.io.FilterInputStream(new ByteArrayInputStream(bomb)) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                read[0] += Math.max(0, n);
                return n;
            }
        };
        assertThatThrownBy(() -> ArchiveInspector.inspect(counting, ArchiveInspector.Limits.DEFAULT))
                .isInstanceOf(InvalidArchiveException.class).hasMessageContaining("decompression bomb");
        // one 256 MiB entry: refused long before its end, not after decompressing all of it
        assertThat(read[0]).isLessThan(bomb.length / 10);

        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        assertThatThrownBy(() -> Plans.customize(new ByteArrayInputStream(bomb), sink,
                Plans.unchecked(new io.wslfleet.protocol.events.BuildRequested.Customization(null, "Corp", null))))
                .isInstanceOf(InvalidArchiveException.class).hasMessageContaining("decompression bomb");
    }

    /**
     * The declared size is checked at the header, before the content. Beyond the 8 GiB an ustar size field holds,
     * GNU tar declares it in a PAX {@code size} record ({@code --format=posix}) or as a base-256 number
     * ({@code --format=gnu}): both are read as the size, so a 9 GiB file is refused for it, by the inspector and the
     * customiser alike. GNU tar's output is cut after the headers (a test does not write 9 GiB): were the size not
     * checked first, the refusal would be for the truncation.
     */
    @Test
    void anEntryDeclaringMoreThanTheLimitIsRefusedBeforeItsContent() throws Exception {
        byte[] archive = tarGz(entry("./big", "x".repeat(5000)));
        assertThatThrownBy(() -> ArchiveInspector.inspect(new ByteArrayInputStream(archive),
                new ArchiveInspector.Limits(100, 4096, 200)))
                .isInstanceOf(InvalidArchiveException.class).hasMessageContaining("/big declares 5000 bytes");
        byte[] many = tarGz(entry("./a", "1"), entry("./b", "2"), entry("./c", "3"));
        assertThatThrownBy(() -> ArchiveInspector.inspect(new ByteArrayInputStream(many),
                new ArchiveInspector.Limits(2, 4096, 200)))
                .isInstanceOf(InvalidArchiveException.class).hasMessageContaining("more than 2 entries");

        Path dir = Files.createDirectories(tmp.resolve("nine"));
        TarFixtures.sh(dir, "truncate -s 9G big");
        var limits = new ArchiveInspector.Limits(100, 8L << 30, 200);
        String refusal = "/big declares 9663676416 bytes, more than the 8589934592 bytes allowed uncompressed";
        for (String format : List.of("posix", "gnu")) {
            byte[] headers = TarFixtures.sh(dir, "tar --format=" + format + " --mtime=@1 --numeric-owner -cf - big"
                    + " 2>/dev/null | head -c 10240 | gzip -n");
            byte[] tar = new GZIPInputStream(new ByteArrayInputStream(headers)).readAllBytes();
            if (format.equals("posix")) {
                assertThat(new String(tar, StandardCharsets.ISO_8859_1)).contains(" size=9663676416\n");
            } else {
                assertThat(tar[124] & 0xff).as("base-256 size field").isEqualTo(0x80);
            }
            assertThatThrownBy(() -> ArchiveInspector.inspect(new ByteArrayInputStream(headers), limits)).as(format)
                    .isInstanceOf(InvalidArchiveException.class).hasMessage(refusal);
            assertThatThrownBy(() -> ArchiveCustomizer.customize(new ByteArrayInputStream(headers),
                    OutputStream.nullOutputStream(), Plans.unchecked(new BuildRequested.Customization(null, "Corp", null)), limits,
                    read -> { })).as(format)
                    .isInstanceOf(InvalidArchiveException.class).hasMessage(refusal);
        }
    }

    /**
     * A sparse file ({@code tar --sparse}) in an otherwise valid root is refused by name, in each format GNU tar
     * writes it (old GNU, PAX 1.0, PAX 0.1) and at any size: at 9 GiB Commons Compress cannot parse its headers at
     * all; at 256 MiB it reads them and would fill in the holes above the expansion guard, past the 64 MiB these
     * limits allow. {@code --sparse} on a file without holes stores an ordinary file, which passes.
     */
    @Test
    void aSparseFileIsRefusedByNameWhateverItsFormatAndSize() throws Exception {
        Path root = tmp.resolve("root");
        DemoRoot.create(root, "h", "25.05.1", 1, DemoRoot.Fault.NONE);
        Path disk = Files.createDirectories(root.resolve("var/lib")).resolve("disk.img");
        var limits = new ArchiveInspector.Limits(10_000, 64L << 20, 200);
        for (String size : List.of("9G", "256M")) {
            TarFixtures.sparseFile(disk, size);
            for (String format : List.of("--format=gnu", "--format=posix", "--format=posix --sparse-version=0.1")) {
                byte[] archive = TarFixtures.gnuTarGz(root, "--sparse " + format);
                assertThatThrownBy(() -> ArchiveInspector.inspect(new ByteArrayInputStream(archive), limits))
                        .as(size + " " + format).isInstanceOf(InvalidArchiveException.class)
                        .hasMessage("/var/lib/disk.img is a sparse file (tar --sparse): sparse entries are not"
                                + " supported, a nixos.wsl is packed without --sparse");
            }
        }
        Files.delete(disk);
        Files.writeString(disk, "no holes");
        byte[] plain = TarFixtures.gnuTarGz(root, "--sparse --format=posix");
        assertThat(ArchiveInspector.inspect(new ByteArrayInputStream(plain), limits).hostName()).isEqualTo("h");
    }

    @Test
    void aDistributionConfThatDoesNotParseIsRefused() throws Exception {
        Path root = tmp.resolve("root");
        DemoRoot.create(root, "h", "25.05.1", 1, DemoRoot.Fault.NONE);
        Files.writeString(root.resolve("etc/wsl-distribution.conf"), "[oobe]\ndefaultName = NixOS\nthis is not ini\n");
        assertPackAndInspectRefuse(root, "does not parse: line 3");
        Files.writeString(root.resolve("etc/wsl-distribution.conf"), "[shortcut]\nicon = /etc/nixos.ico\n");
        assertPackAndInspectRefuse(root, "no [oobe] section");
    }

    @Test
    void demoRootFaultsAreTheFilesTheWslStandInReads() throws Exception {
        String none = DemoRoot.create(tmp.resolve("n"), "h", "25.05.1", 3, DemoRoot.Fault.NONE);
        String degraded = DemoRoot.create(tmp.resolve("d"), "h", "25.05.1", 3, DemoRoot.Fault.DEGRADED);
        String noBoot = DemoRoot.create(tmp.resolve("b"), "h", "25.05.1", 3, DemoRoot.Fault.NO_BOOT);
        assertThat(java.util.Set.of(none, degraded, noBoot)).hasSize(3);
        assertThat(DemoRoot.create(tmp.resolve("d2"), "h", "25.05.1", 3, DemoRoot.Fault.DEGRADED)).isEqualTo(degraded);
        assertThat(Files.exists(tmp.resolve("n").resolve(none.substring(1)).resolve("wsl-fleet-fault"))).isFalse();
        assertThat(Files.readString(tmp.resolve("d").resolve(degraded.substring(1)).resolve("wsl-fleet-fault")))
                .isEqualTo("degraded nix-daemon.service,home-manager-nixos.service");
        assertThat(Files.readString(tmp.resolve("b").resolve(noBoot.substring(1)).resolve("wsl-fleet-fault")))
                .isEqualTo("noboot");
        assertThat(Files.readSymbolicLink(tmp.resolve("d/nix/var/nix/profiles/system")).toString())
                .isEqualTo("system-3-link");
        assertThat(Files.readSymbolicLink(tmp.resolve("d/nix/var/nix/profiles/system-3-link")).toString())
                .isEqualTo(degraded);
        assertThat(degraded).matches("/nix/store/[0-9a-df-np-sv-z]{32}-nixos-system-h-25\\.05\\.1");
    }

    private static void assertRefused(byte[] archive, String message) {
        assertThatThrownBy(() -> ArchiveInspector.inspect(new ByteArrayInputStream(archive), ArchiveInspector.Limits.DEFAULT))
                .isInstanceOf(InvalidArchiveException.class)
                .hasMessageContaining(message);
    }

    private record Entry(TarArchiveEntry entry, byte[] content) {
    }

    private static Entry entry(String name, String content) {
        TarArchiveEntry e = new TarArchiveEntry(name, true);
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        e.setSize(bytes.length);
        return new Entry(e, bytes);
    }

    private static byte[] tarGz(Entry... entries) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (var tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(out))) {
            for (Entry e : entries) {
                tar.putArchiveEntry(e.entry());
                if (e.content() != null) {
                    tar.write(e.content());
                }
                tar.closeArchiveEntry();
            }
        }
        return out.toByteArray();
    }

    @SuppressWarnings("unused")
    private static InputStream in(byte[] b) {
        return new ByteArrayInputStream(b);
    }
}
