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
        assertThat(DistroOps.atLeast244("2.4.4")).isTrue();
        assertThat(DistroOps.atLeast244("2.4.3.0")).isFalse();
        assertThat(DistroOps.atLeast244("2.5.9.0")).isTrue();
        assertThat(DistroOps.atLeast244("1.2.5")).isFalse();
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
}
