package io.wslfleet.wslstandin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Failures the stand-in can be told to inject: a file under {@code <state>/faults/}.
 * <ul>
 *   <li>{@code hang}: its content names an argument ({@code --install}, {@code -d}, {@code --version}, {@code --set},
 *       …) or {@code *}; a matching call sleeps forever (until killed); {@code ARG@N}: only the Nth call with that
 *       argument since the fault was injected (a call stuck once);</li>
 *   <li>{@code hang-distro}: its content names a distro or {@code *}; a command in it hangs, killing wsl.exe does not
 *       end it, {@code wsl --terminate} (or a shutdown) does;</li>
 *   <li>{@code hang-service}: every call hangs (killing it changes nothing) until {@code wsl --shutdown --force};</li>
 *   <li>{@code idle-stop}: its content names an argument (or {@code ARG@N}); the call with it finds every distro
 *       stopped, as after WSL's idle timeouts (a distro after about 15 s, its VM after about 60 s): once,
 *       {@code idle-stopped} records the call; {@code idle-seconds}: stop a distro idle that long;</li>
 *   <li>{@code older}: WSL 2.3.26: {@code --version} works, {@code --install --from-file} does not;</li>
 *   <li>{@code service-unavailable}: every call fails with {@code Wsl/Service/E_UNEXPECTED}-like service error;</li>
 *   <li>{@code import-fails}: install/import fail with {@code WSL_E_IMPORT_FAILED} and a bsdtar message;</li>
 *   <li>{@code disk-full}: install/import fail with {@code ERROR_DISK_FULL};</li>
 *   <li>{@code inbox}: the inbox WSL: no {@code --version}, {@code --install --from-file}, {@code --export --format}
 *       or {@code --system} (usage text, no error code line, exit -1);</li>
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
    public static final String HANG_DISTRO = "hang-distro";
    public static final String HANG_SERVICE = "hang-service";
    public static final String IDLE_STOP = "idle-stop";
    /** Written when an idle stop was injected: the call that found the distro stopped. */
    public static final String IDLE_STOPPED = "idle-stopped";
    public static final String IDLE_SECONDS = "idle-seconds";
    public static final String OLDER = "older";
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
        Files.deleteIfExists(dir.resolve(fault + ".count"));
        Files.writeString(dir.resolve(fault), content == null ? "" : content, StandardCharsets.UTF_8);
    }

    public static void clear(Path stateDir, String fault) throws IOException {
        Files.deleteIfExists(stateDir.resolve("faults").resolve(fault));
    }
}
