package io.wslfleet.wslstandin;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stand-in as its own process, through the launcher script, as the agent runs it. */
class WslStandInTest {

    static final String SYSTEM = "/nix/store/aaaabbbbccccddddffffgggghhhhiiii-nixos-system-h-25.05.1";

    @TempDir
    Path tmp;
    Path wsl;
    Path state;

    record Run(int exit, byte[] stdout, String stderr) {
        String utf8() {
            return new String(stdout, StandardCharsets.UTF_8);
        }
    }

    @BeforeEach
    void install() throws IOException {
        state = tmp.resolve("state");
        wsl = StandInLauncher.install(tmp.resolve("bin"), state);
    }

    Run run(boolean utf8, String... args) throws Exception {
        String[] cmd = new String[args.length + 1];
        cmd[0] = wsl.toString();
        System.arraycopy(args, 0, cmd, 1, args.length);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        if (utf8) {
            pb.environment().put("WSL_UTF8", "1");
        }
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Run(p.waitFor(), out, err);
    }

    Path image(String fault) throws IOException {
        return image(fault, true);
    }

    Path image(String fault, boolean nixosMarker) throws IOException {
        Path file = tmp.resolve("nixos.wsl");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (var tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(bytes))) {
            dir(tar, "./nix/store/" + SYSTEM.substring(11) + "/");
            file(tar, "./nix/store/" + SYSTEM.substring(11) + "/bin/switch-to-configuration", "#!/bin/sh\n");
            if (fault != null) {
                file(tar, "./nix/store/" + SYSTEM.substring(11) + "/wsl-fleet-fault", fault);
            }
            link(tar, "./nix/var/nix/profiles/system-1-link", SYSTEM);
            link(tar, "./nix/var/nix/profiles/system", "system-1-link");
            file(tar, "./bin/nixos-wsl-recovery", "#!/bin/sh\n");
            if (nixosMarker) {
                file(tar, "./etc/NIXOS", "");
            }
        }
        Files.write(file, bytes.toByteArray());
        return file;
    }

    private static void dir(TarArchiveOutputStream tar, String name) throws IOException {
        tar.putArchiveEntry(new TarArchiveEntry(name));
        tar.closeArchiveEntry();
    }

    private static void file(TarArchiveOutputStream tar, String name, String content) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        byte[] b = content.getBytes(StandardCharsets.UTF_8);
        e.setSize(b.length);
        e.setMode(0100755);
        tar.putArchiveEntry(e);
        tar.write(b);
        tar.closeArchiveEntry();
    }

    private static void link(TarArchiveOutputStream tar, String name, String target) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
        e.setLinkName(target);
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
    }

    @Test
    void ownMessagesAreUtf16leWithCrlfUnlessWslUtf8IsSet() throws Exception {
        Run utf16 = run(false, "--version");
        assertThat(utf16.exit()).isZero();
        assertThat(new String(utf16.stdout(), StandardCharsets.UTF_16LE)).startsWith("WSL version: 2.5.9.0\r\n");
        Run utf8 = run(true, "--version");
        assertThat(utf8.utf8()).startsWith("WSL version: 2.5.9.0\r\n");
    }

    @Test
    void withNoDistroTheVerboseListFailsAndTheQuietListIsEmpty() throws Exception {
        Run verbose = run(true, "-l", "-v");
        assertThat(verbose.exit()).isEqualTo(255);
        assertThat(verbose.utf8()).contains("Error code: Wsl/WSL_E_DEFAULT_DISTRO_NOT_FOUND");
        Run quiet = run(true, "-l", "-q");
        assertThat(quiet.exit()).isZero();
        assertThat(quiet.stdout()).isEmpty();
    }

    @Test
    void installStartAndVerifyLikeTheRealOne() throws Exception {
        Path image = image(null);
        assertThat(run(true, "--install", "--from-file", image.toString(), "--name", "NixOS", "--location",
                tmp.resolve("loc").toString(), "--no-launch").exit()).isZero();

        Run again = run(true, "--install", "--from-file", image.toString(), "--name", "NixOS", "--no-launch");
        assertThat(again.exit()).isEqualTo(255);
        assertThat(again.utf8()).contains("Error code: Wsl/Service/RegisterDistro/ERROR_ALREADY_EXISTS");

        assertThat(run(true, "-l", "-v").utf8()).contains("* NixOS     Stopped         2");
        Run health = run(true, "-d", "NixOS", "-u", "root", "--", "systemctl", "is-system-running", "--wait");
        assertThat(health.exit()).isZero();
        assertThat(health.utf8()).isEqualTo("running\n");
        assertThat(run(true, "-l", "-v").utf8()).contains("Running");
        assertThat(run(true, "-d", "NixOS", "--", "readlink", "-f", "/run/current-system").utf8().trim()).isEqualTo(SYSTEM);

        Run missing = run(true, "-d", "Ubuntu", "--", "true");
        assertThat(missing.exit()).isEqualTo(255);
        assertThat(missing.utf8()).contains("Wsl/Service/WSL_E_DISTRO_NOT_FOUND");
    }

    @Test
    void aDegradedGenerationReportsItsFailedUnitsAndANoBootOneDoesNotStart() throws Exception {
        run(true, "--install", "--from-file", image("degraded a.service,b.service").toString(), "--name", "NixOS", "--no-launch");
        Run state1 = run(true, "-d", "NixOS", "--", "systemctl", "is-system-running", "--wait");
        assertThat(state1.exit()).isEqualTo(1);
        assertThat(state1.utf8().trim()).isEqualTo("degraded");
        assertThat(run(true, "-d", "NixOS", "--", "systemctl", "--failed", "--plain", "--no-legend").utf8())
                .contains("a.service").contains("b.service");

        run(true, "--install", "--from-file", image("noboot").toString(), "--name", "Broken", "--no-launch");
        Run broken = run(true, "-d", "Broken", "--", "true");
        assertThat(broken.exit()).isEqualTo(255);
        assertThat(broken.utf8()).contains("Error code: Wsl/Service/CreateInstance");
    }

    @Test
    void injectedImportFailureLeavesNoDistro() throws Exception {
        StandInFaults.inject(state, StandInFaults.IMPORT_FAILS, "");
        Run r = run(true, "--import", "NixOS", tmp.resolve("loc").toString(), image(null).toString(), "--version", "2");
        assertThat(r.exit()).isEqualTo(255);
        assertThat(r.utf8()).contains("WSL_E_IMPORT_FAILED");
        assertThat(r.stderr()).contains("bsdtar");
        assertThat(run(true, "-l", "-q").stdout()).isEmpty();
    }

    @Test
    void afterDashDashTheShellParsesTheCommandLineAgainButExecPassesArgumentsAsTheyAre() throws Exception {
        run(true, "--install", "--from-file", image(null).toString(), "--name", "NixOS", "--no-launch");
        String windowsPath = "C:\\Users\\dev\\AppData\\Local\\x.wsl";
        assertThat(run(true, "-d", "NixOS", "--", "echo", windowsPath).utf8().trim())
                .isEqualTo("C:UsersdevAppDataLocalx.wsl");
        assertThat(run(true, "-d", "NixOS", "-e", "echo", windowsPath).utf8().trim()).isEqualTo(windowsPath);
        assertThat(run(true, "-d", "NixOS", "--", "echo", "'" + windowsPath + "'").utf8().trim()).isEqualTo(windowsPath);
        Run dashes = run(true, "-d", "NixOS", "-e", "--", "echo", "x");
        assertThat(dashes.exit()).isEqualTo(1);
        assertThat(dashes.stderr()).contains("execvpe(--)");
    }

    @Test
    void usageErrorsAndOptionsInboxWslLacksFailWithoutAnErrorCodeLine() throws Exception {
        Run bad = run(true, "--no-such-option");
        assertThat(bad.exit()).isEqualTo(255);
        assertThat(bad.utf8()).contains("Usage: wsl.exe").doesNotContain("Error code:");
        StandInFaults.inject(state, StandInFaults.INBOX, "");
        for (String[] args : new String[][] {{"--version"}, {"--install", "--from-file", image(null).toString()}}) {
            Run r = run(true, args);
            assertThat(r.exit()).as(String.join(" ", args)).isEqualTo(255);
            assertThat(r.utf8()).doesNotContain("Error code:");
        }
        run(true, "--import", "NixOS", tmp.resolve("loc").toString(), image(null).toString(), "--version", "2");
        Path backup = tmp.resolve("backup.tar.gz");
        Run export = run(true, "--export", "NixOS", backup.toString(), "--format", "tar.gz");
        assertThat(export.exit()).isEqualTo(255);
        assertThat(export.utf8()).doesNotContain("Error code:");
        assertThat(backup).doesNotExist();
        Run system = run(true, "-d", "NixOS", "--system", "-e", "true");
        assertThat(system.exit()).isEqualTo(255);
        assertThat(run(true, "--export", "NixOS", backup.toString()).exit()).isZero();
        assertThat(Files.readAllBytes(backup)).hasSizeGreaterThan(512);
    }

    @Test
    void diskFullIsTheHresultWithTheSystemMessage() throws Exception {
        StandInFaults.inject(state, StandInFaults.DISK_FULL, "");
        Run r = run(true, "--import", "NixOS", tmp.resolve("loc").toString(), image(null).toString(), "--version", "2");
        assertThat(r.exit()).isEqualTo(255);
        assertThat(r.utf8()).contains("There is not enough space on the disk. \r\n")
                .contains("Error code: Wsl/Service/RegisterDistro/0x80070070");
    }

    @Test
    void theRecoveryShellEntersAGenerationForTheSessionOnlyAndRefusesARootWithoutNixosMarker() throws Exception {
        run(true, "--install", "--from-file", image(null).toString(), "--name", "NixOS", "--no-launch");
        Path profiles = state.resolve("distros/NixOS/rootfs/nix/var/nix/profiles");
        Files.createSymbolicLink(profiles.resolve("system-2-link"), Path.of(SYSTEM));
        Run entered = run(true, "-d", "NixOS", "--system", "--user", "root", "-e",
                "/mnt/wslg/distro/bin/nixos-wsl-recovery", "--system", "/nix/var/nix/profiles/system-2-link", "--",
                "echo", "inside");
        assertThat(entered.exit()).as(entered.stderr()).isZero();
        assertThat(entered.utf8().trim()).isEqualTo("inside");
        assertThat(Files.readSymbolicLink(profiles.resolve("system")).toString()).isEqualTo("system-1-link");
        Run switched = run(true, "-d", "NixOS", "--system", "--user", "root", "-e",
                "/mnt/wslg/distro/bin/nixos-wsl-recovery", "--system", "/nix/var/nix/profiles/system-1-link", "--",
                "nix-env", "-p", "/nix/var/nix/profiles/system", "--switch-generation", "2");
        assertThat(switched.exit()).as(switched.stderr()).isZero();
        assertThat(Files.readSymbolicLink(profiles.resolve("system")).toString()).isEqualTo("system-2-link");

        run(true, "--install", "--from-file", image(null, false).toString(), "--name", "Plain", "--no-launch");
        Run refused = run(true, "-d", "Plain", "--system", "-e", "/mnt/wslg/distro/bin/nixos-wsl-recovery", "--", "true");
        assertThat(refused.exit()).isEqualTo(126);
        assertThat(refused.stderr()).contains("is not a NixOS installation");
    }

    @Test
    void anIdleDistroStopsAndTheNextCommandBootsWhatTheProfilePointsAt() throws Exception {
        run(true, "--install", "--from-file", image(null).toString(), "--name", "NixOS", "--no-launch");
        assertThat(run(true, "-d", "NixOS", "-e", "true").exit()).isZero();
        assertThat(run(true, "-l", "-v").utf8()).contains("Running");
        StandInFaults.inject(state, StandInFaults.IDLE_STOP, "marker");
        assertThat(run(true, "-d", "NixOS", "-e", "echo", "marker").exit()).isZero();
        assertThat(state.resolve("faults").resolve(StandInFaults.IDLE_STOPPED)).exists();
        assertThat(state.resolve("faults").resolve(StandInFaults.IDLE_STOP)).doesNotExist();
    }
}
