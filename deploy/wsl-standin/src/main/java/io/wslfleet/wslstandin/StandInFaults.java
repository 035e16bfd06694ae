package io.wslfleet.wslstandin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Failures the stand-in can be told to inject: a file under {@code <state>/faults/}.
 * <ul>
 *   <li>{@code hang}: its content names a wsl.exe option ({@code --install}, {@code -d}, {@code --version}, …)
 *       or {@code *}; a matching call sleeps forever (until killed);</li>
 *   <li>{@code service-unavailable}: every call fails with {@code Wsl/Service/E_UNEXPECTED}-like service error;</li>
 *   <li>{@code import-fails}: install/import fail with {@code WSL_E_IMPORT_FAILED} and a bsdtar message;</li>
 *   <li>{@code disk-full}: install/import fail with {@code ERROR_DISK_FULL};</li>
 *   <li>{@code inbox}: behave like the inbox WSL: {@code --version} is not an option (no --install --from-file);</li>
 *   <li>{@code ignores-wsl-utf8}: an older WSL that writes UTF-16LE even when {@code WSL_UTF8=1};</li>
 *   <li>{@code recovery-bad-interpreter}: the recovery shell fails like upstream bug #1042.</li>
 * </ul>
 * A generation misbehaves on its own when its system store path holds {@code wsl-fleet-fault}
 * ({@code degraded <unit>,<unit>} or {@code noboot}).
 */
public final class StandInFaults {

    public static final String HANG = "hang";
    /** Written by a call that hangs: its pid and arguments. */
    public static final String HANGING = "hanging";
    public static final String SERVICE_UNAVAILABLE = "service-unavailable";
    public static final String IMPORT_FAILS = "import-fails";
    public static final String DISK_FULL = "disk-full";
    public static final String INBOX = "inbox";
    public static final String IGNORES_WSL_UTF8 = "ignores-wsl-utf8";
    public static final String RECOVERY_BAD_INTERPRETER = "recovery-bad-interpreter";

    private StandInFaults() {
    }

    public static void inject(Path stateDir, String fault, String content) throws IOException {
        Path dir = stateDir.resolve("faults");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(fault), content == null ? "" : content, StandardCharsets.UTF_8);
    }

    public static void clear(Path stateDir, String fault) throws IOException {
        Files.deleteIfExists(stateDir.resolve("faults").resolve(fault));
    }
}
