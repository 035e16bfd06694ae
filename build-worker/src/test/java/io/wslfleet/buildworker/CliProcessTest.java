package io.wslfleet.buildworker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line as a separate process, in the locale an operator's shell has ({@code sun.jnu.encoding} is fixed
 * when a JVM starts, so only a new process shows it), with GNU tar as the producer and {@code tar -tvv} as the
 * oracle: names go into an archive as the bytes they are, or are refused by name.
 */
class CliProcessTest {

    private static final Map<String, String> C_LOCALE = Map.of("LC_ALL", "C");
    private static final Map<String, String> UTF8_LOCALE = Map.of("LANG", "C.UTF-8");
    /** What the jar's manifest (Add-Opens) and bin/build-worker give the JVM. */
    private static final String BYTE_NAMES = "--add-opens=java.base/sun.nio.fs=ALL-UNNAMED";

    @TempDir
    Path tmp;
    Path root;

    record Result(int exit, String stdout, String stderr) {
    }

    static Result cli(Path dir, Map<String, String> locale, boolean byteNames, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
        if (byteNames) {
            command.add(BYTE_NAMES);
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.wslfleet.buildworker.cli.BuildWorkerCli"));
        command.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
        pb.environment().keySet().removeIf(k -> k.equals("LANG") || k.startsWith("LC_") || k.equals("JAVA_TOOL_OPTIONS"));
        pb.environment().putAll(locale);
        Path err = Files.createTempFile(dir, "stderr", ".txt");
        pb.redirectError(err.toFile());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int exit = p.waitFor();
        String stderr = Files.readString(err);
        Files.delete(err);
        return new Result(exit, out, stderr);
    }

    /** A NixOS-WSL root with names no locale holds whole: UTF-8, a tab, Latin-1 bytes, long non-ASCII, links. */
    @BeforeEach
    void awkwardNames() throws Exception {
        root = tmp.resolve("root");
        NixosRoots.create(root);
        Files.writeString(root.resolve("etc/café-ü-日本.txt"), "utf-8 name");
        Files.writeString(root.resolve("etc/tab\there"), "tab");
        Files.createDirectories(root.resolve("home/nixos/" + "ü".repeat(60)));
        Files.writeString(root.resolve("home/nixos/" + "ü".repeat(60) + "/" + "日本".repeat(20)), "long");
        Files.createSymbolicLink(root.resolve("etc/link-to-café"), Path.of("/etc/café-ü-日本.txt"));
        TarFixtures.sh(root, "printf latin1 > \"etc/lat$(printf '\\351')n-1\"");
    }

    @Test
    void packWritesEveryNameAsItsBytesInTheCAndUtf8LocalesAsGnuTarDoes() throws Exception {
        Files.write(tmp.resolve("gnu.wsl"), TarFixtures.gnuTarGz(root, ""));
        byte[] upstream = TarFixtures.listing(tmp.resolve("gnu.wsl"));
        assertThat(new String(upstream, StandardCharsets.ISO_8859_1)).contains("./etc/lat\\351n-1");
        for (Map<String, String> locale : List.of(C_LOCALE, UTF8_LOCALE)) {
            Result r = cli(tmp, locale, true, "pack", "root", "ours.wsl");
            assertThat(r.exit()).as(locale + " " + r.stderr()).isZero();
            assertThat(TarFixtures.listing(tmp.resolve("ours.wsl"))).as("%s", locale).isEqualTo(upstream);
        }
    }

    @Test
    void withoutByteAccessANameTheLocaleCannotHoldIsRefusedByNameAndNothingIsWritten() throws Exception {
        Result c = cli(tmp, C_LOCALE, false, "pack", "root", "ours.wsl");
        assertThat(c.exit()).isEqualTo(2);
        assertThat(c.stderr()).startsWith("refused: cannot read the name").contains("as its bytes in this locale");
        assertThat(tmp.resolve("ours.wsl")).doesNotExist();

        Result utf8 = cli(tmp, UTF8_LOCALE, false, "pack", "root", "ours.wsl");
        assertThat(utf8.exit()).isEqualTo(2);
        assertThat(utf8.stderr()).contains("refused: cannot read the name").contains("lat\uFFFDn-1");
        TarFixtures.sh(root, "rm etc/lat*n-1");
        Files.write(tmp.resolve("gnu.wsl"), TarFixtures.gnuTarGz(root, ""));
        assertThat(cli(tmp, UTF8_LOCALE, false, "pack", "root", "ours.wsl").exit()).isZero();
        assertThat(TarFixtures.listing(tmp.resolve("ours.wsl"))).isEqualTo(TarFixtures.listing(tmp.resolve("gnu.wsl")));
    }

    @Test
    void customizeInTheCLocaleKeepsEveryNameAndAddsABinaryFileWithModeAndOwner() throws Exception {
        Files.write(tmp.resolve("nixos.wsl"), TarFixtures.gnuTarGz(root, ""));
        byte[] der = NixosEtcCustomizationTest.derCertificate();
        Files.write(tmp.resolve("corp-root.der"), der);
        Result r = cli(tmp, C_LOCALE, true, "customize", "nixos.wsl", "custom.wsl",
                "--file", "/etc/corp/corp-root.der=corp-root.der", "--mode", "/etc/corp/corp-root.der=0600",
                "--owner", "/etc/corp/corp-root.der=0:1");
        assertThat(r.exit()).as(r.stderr()).isZero();
        List<String> before = lines(TarFixtures.listing(tmp.resolve("nixos.wsl")));
        List<String> after = lines(TarFixtures.listing(tmp.resolve("custom.wsl")));
        assertThat(after.stream().filter(l -> !l.contains("./etc/corp")).toList()).containsExactlyElementsOf(before);
        assertThat(after).anyMatch(l -> l.matches("-rw------- 0/1 +" + der.length + " .* \\./etc/corp/corp-root\\.der"));
        assertThat(TarFixtures.sh(tmp, "tar -xzOf custom.wsl ./etc/corp/corp-root.der")).isEqualTo(der);
    }

    @Test
    void customizeRefusesAPathThatLeavesTheRootAndWritesNothing() throws Exception {
        Files.write(tmp.resolve("nixos.wsl"), TarFixtures.gnuTarGz(root, ""));
        Files.writeString(tmp.resolve("x"), "x");
        Result r = cli(tmp, UTF8_LOCALE, true, "customize", "nixos.wsl", "custom.wsl", "--file", "/../../tmp/evil=x");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stderr()).contains("no empty, . or .. parts: /../../tmp/evil");
        assertThat(tmp.resolve("custom.wsl")).doesNotExist();
    }

    @Test
    void aPackRefusedForASpecialFileNamesItAndLeavesNothingAtTheOutput() throws Exception {
        TarFixtures.sh(root, "mkfifo etc/corp-pipe");
        Result r = cli(tmp, UTF8_LOCALE, true, "pack", "root", "ours.wsl");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stderr()).startsWith("refused: special file /etc/corp-pipe (a FIFO, socket or device)")
                .doesNotContain("Exception");
        try (var left = Files.list(tmp)) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("root");
        }
    }

    private static List<String> lines(byte[] listing) {
        return List.of(new String(listing, StandardCharsets.ISO_8859_1).split("\n"));
    }
}
