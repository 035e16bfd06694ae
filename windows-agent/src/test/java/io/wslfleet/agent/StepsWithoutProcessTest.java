package io.wslfleet.agent;

import io.wslfleet.protocol.events.FailureReason;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import io.wslfleet.protocol.events.CommandOutcome;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The steps on a scripted {@link Wsl}: fast, no process. */
class StepsWithoutProcessTest {

    @TempDir
    Path tmp;

    private static final Steps QUIET = (step, done, total, message) -> { };

    @Test
    void aDistroThatWillNotStartIsSwitchedBackInsideTheRecoveryShellToTheGenerationBeforeTheCurrent() throws Exception {
        AtomicBoolean switched = new AtomicBoolean();
        FakeWsl wsl = new FakeWsl((where, cmd) -> {
            String line = String.join(" ", cmd);
            if (where.equals("system")) {
                if (line.equals("readlink /mnt/wslg/distro/nix/var/nix/profiles/system")) {
                    return FakeWsl.ok("system-3-link\n");
                }
                if (line.startsWith("ls ")) {
                    return FakeWsl.ok("system\nsystem-1-link\nsystem-2-link\nsystem-3-link\n");
                }
                if (line.startsWith(Rollback.RECOVERY_SHELL)) {
                    switched.set(true);
                    return FakeWsl.ok("");
                }
                return new Wsl.Result(1, "", "unexpected");
            }
            if (where.equals("wsl")) {
                return FakeWsl.ok("");
            }
            if (!switched.get()) {
                throw new WslException(WslException.Kind.DISTRO_WONT_START, "Wsl/Service/CreateInstance/E_FAIL", "no");
            }
            return switch (cmd.get(0)) {
                case "systemctl" -> FakeWsl.ok(cmd.contains("--failed") ? "" : "running\n");
                case "readlink" -> FakeWsl.ok(cmd.contains("-f") ? "/nix/store/x-nixos-system-a-25.05\n" : "system-2-link\n");
                default -> FakeWsl.ok("");
            };
        });
        Generations generations = new Generations(wsl, Duration.ofSeconds(1));
        HealthProbe health = new HealthProbe(wsl, generations, Duration.ofSeconds(1), Duration.ofSeconds(1), Clock.systemUTC());
        Outcome back = new Rollback(wsl, generations, health, Duration.ofSeconds(1)).to("NixOS", null, QUIET);

        assertThat(back.outcome()).as(back.message()).isEqualTo(CommandOutcome.ROLLED_BACK);
        assertThat(back.health().generation()).isEqualTo(2);
        assertThat(wsl.calls).contains("system: " + Rollback.RECOVERY_SHELL + " --system /nix/var/nix/profiles/system-2-link"
                + " -- nix-env -p /nix/var/nix/profiles/system --switch-generation 2");
        assertThat(wsl.calls).containsSubsequence("system: " + Rollback.RECOVERY_SHELL
                + " --system /nix/var/nix/profiles/system-2-link -- nix-env -p /nix/var/nix/profiles/system"
                + " --switch-generation 2", "wsl --terminate NixOS", "NixOS: systemctl is-system-running --wait");
    }

    @Test
    void aBackupCountsOnlyWhenItReadsAsATarToItsEnd() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (var tar = new TarArchiveOutputStream(bytes)) {
            TarArchiveEntry e = new TarArchiveEntry("./home/nixos/notes.txt");
            byte[] content = new byte[3000];
            e.setSize(content.length);
            tar.putArchiveEntry(e);
            tar.write(content);
            tar.closeArchiveEntry();
        }
        Path good = Files.write(tmp.resolve("good.tar"), bytes.toByteArray());
        Path truncated = Files.write(tmp.resolve("cut.tar"), Arrays.copyOf(bytes.toByteArray(), 1500));
        Path text = Files.writeString(tmp.resolve("usage.tar"), "Usage: wsl.exe [Argument] [Options...]\r\n".repeat(20));
        assertThat(Backups.tarProblem(good)).isNull();
        assertThat(Backups.tarProblem(truncated)).contains("ends inside");
        assertThat(Backups.tarProblem(text)).contains("checksum");
    }

    @Test
    void linuxCommandsGoThroughExecNeverThroughTheShell() {
        assertThat(WslDriver.linuxCommand(List.of("-d", "NixOS", "-u", "root"), "wslpath", "-u", "C:\\Users\\dev\\x.wsl"))
                .containsExactly("-d", "NixOS", "-u", "root", "-e", "wslpath", "-u", "C:\\Users\\dev\\x.wsl");
    }

    @Test
    void everyWslErrorKindHasOneReason() {
        for (WslException.Kind kind : WslException.Kind.values()) {
            assertThat(FailureReasons.of(new WslException(kind, null, "x"))).isNotNull();
        }
        assertThat(FailureReasons.of(new WslException(WslException.Kind.of("Wsl/Service/RegisterDistro/0x80070070"),
                null, "x"))).isEqualTo(FailureReason.DISK_FULL);
    }
}
