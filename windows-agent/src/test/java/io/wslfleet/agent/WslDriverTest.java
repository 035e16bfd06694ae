package io.wslfleet.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import io.wslfleet.wslstandin.StandInFaults;
import io.wslfleet.wslstandin.StandInLauncher;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The driver against the stand-in wsl.exe, a separate process: launch, decoding, typed errors, timeouts. */
class WslDriverTest {

    @TempDir
    Path tmp;
    Path state;
    WslDriver wsl;

    @BeforeEach
    void setUp() throws Exception {
        state = tmp.resolve("state");
        wsl = new WslDriver(StandInLauncher.install(tmp.resolve("bin"), state), Duration.ofSeconds(30));
    }

    @Test
    void decodesUtf16leFromAWslThatIgnoresWslUtf8() throws Exception {
        assertThat(wsl.wslVersion()).contains("2.5.9.0");
        StandInFaults.inject(state, StandInFaults.IGNORES_WSL_UTF8, "");
        assertThat(wsl.wslVersion()).contains("2.5.9.0");
        assertThat(wsl.call("--version").stdout()).doesNotContain("\r").doesNotContain("\u0000");
    }

    @Test
    void decodeHandlesBomUtf16AndUtf8() {
        byte[] utf16 = "NixOS\r\nUbuntu\r\n".getBytes(StandardCharsets.UTF_16LE);
        assertThat(WslDriver.decode(utf16)).isEqualTo("NixOS\nUbuntu\n");
        byte[] bom = new byte[utf16.length + 2];
        bom[0] = (byte) 0xff;
        bom[1] = (byte) 0xfe;
        System.arraycopy(utf16, 0, bom, 2, utf16.length);
        assertThat(WslDriver.decode(bom)).isEqualTo("NixOS\nUbuntu\n");
        assertThat(WslDriver.decode("grüße\r\n".getBytes(StandardCharsets.UTF_8))).isEqualTo("grüße\n");
    }

    @Test
    void inboxWslWithoutVersionOptionCountsAsOld() throws Exception {
        StandInFaults.inject(state, StandInFaults.INBOX, "");
        assertThat(wsl.wslVersion()).isEmpty();
        assertThat(Installer.atLeast244("2.4.4")).isTrue();
        assertThat(Installer.atLeast244("2.4.3.0")).isFalse();
        assertThat(Installer.atLeast244("2.5.9.0")).isTrue();
        assertThat(Installer.atLeast244("1.2.5")).isFalse();
    }

    @Test
    void wslOwnErrorsBecomeTypedExceptionsAndLinuxExitCodesPassThrough() throws Exception {
        assertThat(wsl.distros()).isEmpty();
        assertThatThrownBy(() -> wsl.exec("NixOS", Duration.ofSeconds(10), "true"))
                .isInstanceOf(WslException.class)
                .satisfies(e -> assertThat(((WslException) e).kind()).isEqualTo(WslException.Kind.DISTRO_NOT_FOUND))
                .satisfies(e -> assertThat(((WslException) e).errorCode()).isEqualTo("Wsl/Service/WSL_E_DISTRO_NOT_FOUND"));
        StandInFaults.inject(state, StandInFaults.SERVICE_UNAVAILABLE, "");
        assertThatThrownBy(() -> wsl.distros())
                .satisfies(e -> assertThat(((WslException) e).kind()).isEqualTo(WslException.Kind.SERVICE_UNAVAILABLE));
    }

    @Test
    void aHangingCallIsKilledWithItsProcessTreeAndReportedAsTimeout() throws Exception {
        StandInFaults.inject(state, StandInFaults.HANG, "--version");
        long started = System.nanoTime();
        assertThatThrownBy(() -> wsl.call(Duration.ofSeconds(3), "--version"))
                .isInstanceOf(WslException.class)
                .satisfies(e -> assertThat(((WslException) e).kind()).isEqualTo(WslException.Kind.TIMEOUT));
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(40));
        String hanging = java.nio.file.Files.readString(state.resolve("faults").resolve(StandInFaults.HANGING));
        long pid = Long.parseLong(hanging.split(" ")[0]);
        assertThat(hanging).contains("--version");
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
                .as("the hanging stand-in process was killed").isFalse();
    }

    private String stateOf(String distro) throws Exception {
        return wsl.call("-l", "-v").stdout().lines().filter(l -> l.substring(2).trim().startsWith(distro + " "))
                .map(l -> l.substring(2).trim().split("\\s+")[1]).findFirst().orElse("absent");
    }

    /** Two distros, both running: NixOS, which will hang, and the user's Ubuntu, which must survive. */
    private void twoRunningDistros() throws Exception {
        Path image = tmp.resolve("image.tar");
        try (var out = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(
                java.nio.file.Files.newOutputStream(image))) {
            var e = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("./etc/");
            out.putArchiveEntry(e);
            out.closeArchiveEntry();
        }
        for (String name : new String[] {"NixOS", "Ubuntu"}) {
            wsl.call("--import", name, tmp.resolve(name).toString(), image.toString(), "--version", "2");
            wsl.exec(name, Duration.ofSeconds(20), "true");
        }
        assertThat(stateOf("Ubuntu")).isEqualTo("Running");
    }

    private String callsAfterSetUp() throws Exception {
        return java.nio.file.Files.readString(state.resolve("calls.log"));
    }

    @Test
    void aCallStuckByItselfIsEndedByKillingItAndNoDistroIsStopped() throws Exception {
        twoRunningDistros();
        StandInFaults.inject(state, StandInFaults.HANG, "is-system-running");
        assertThatThrownBy(() -> wsl.exec("NixOS", Duration.ofSeconds(3), "systemctl", "is-system-running"))
                .satisfies(e -> assertThat(((WslException) e).kind()).as(e.getMessage()).isEqualTo(WslException.Kind.TIMEOUT))
                .hasMessageContaining("killing the call was enough");
        assertThat(callsAfterSetUp()).doesNotContain("--shutdown").doesNotContain("--terminate");
        assertThat(stateOf("Ubuntu")).isEqualTo("Running");
        assertThat(stateOf("NixOS")).isEqualTo("Running");
    }

    @Test
    void aCommandStuckInsideTheDistroIsEndedByTerminatingThatDistroOnly() throws Exception {
        twoRunningDistros();
        StandInFaults.inject(state, StandInFaults.HANG_DISTRO, "NixOS");
        assertThatThrownBy(() -> wsl.exec("NixOS", Duration.ofSeconds(3), "systemctl", "is-system-running"))
                .satisfies(e -> assertThat(((WslException) e).kind()).isEqualTo(WslException.Kind.TIMEOUT))
                .hasMessageContaining("wsl --terminate NixOS");
        assertThat(callsAfterSetUp()).contains("--terminate NixOS").doesNotContain("--shutdown");
        assertThat(stateOf("Ubuntu")).isEqualTo("Running");
    }

    @Test
    void aStuckServiceIsEndedOnlyByShuttingWslDown() throws Exception {
        twoRunningDistros();
        StandInFaults.inject(state, StandInFaults.HANG_SERVICE, "");
        assertThatThrownBy(() -> wsl.exec("NixOS", Duration.ofSeconds(3), "systemctl", "is-system-running"))
                .satisfies(e -> assertThat(((WslException) e).kind()).isEqualTo(WslException.Kind.TIMEOUT))
                .hasMessageContaining("wsl --shutdown --force");
        assertThat(callsAfterSetUp()).contains("--terminate NixOS").contains("--shutdown --force");
        assertThat(stateOf("Ubuntu")).isEqualTo("Stopped");
    }

    @Test
    void aWslLevelCallThatExitsNonZeroWithoutAnErrorCodeLineHasFailed() throws Exception {
        StandInFaults.inject(state, StandInFaults.INBOX, "");
        assertThatThrownBy(() -> wsl.call("--export", "NixOS", tmp.resolve("b.tar.gz").toString(), "--format", "tar.gz"))
                .isInstanceOf(WslException.class)
                .hasMessageContaining("--format");
    }

    @Test
    void diskFullAsWslPrintsItIsTheDiskFullKind() {
        assertThat(WslException.Kind.of("Wsl/Service/RegisterDistro/0x80070070")).isEqualTo(WslException.Kind.DISK_FULL);
    }

    /** WslDriverTest once failed with SERVICE_UNAVAILABLE: the launcher was run while a forked child held it open for writing. */
    @Test
    void aLauncherStillOpenForWritingIsStartedOnceItIsClosed() throws Exception {
        Path launcher = tmp.resolve("bin").resolve("wsl.exe");
        var writer = java.nio.channels.FileChannel.open(launcher, java.nio.file.StandardOpenOption.WRITE);
        Thread closer = new Thread(() -> {
            try {
                Thread.sleep(500);
                writer.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        closer.start();
        try {
            assertThat(wsl.wslVersion()).as("ETXTBSY is retried until the writer is gone").contains("2.5.9.0");
        } finally {
            closer.join();
        }
    }
}
