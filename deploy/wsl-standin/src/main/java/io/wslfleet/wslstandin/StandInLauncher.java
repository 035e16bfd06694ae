package io.wslfleet.wslstandin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** Writes a {@code wsl.exe} launcher script that runs the stand-in as its own process on a given state directory. */
public final class StandInLauncher {

    private StandInLauncher() {
    }

    /**
     * @param binDir   where {@code wsl.exe} is written
     * @param stateDir the stand-in's state (created if missing)
     * @return the path of the executable {@code wsl.exe}
     */
    public static Path install(Path binDir, Path stateDir) throws IOException {
        Files.createDirectories(binDir);
        Files.createDirectories(stateDir);
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        String script = "#!/bin/sh\n"
                + "# stand-in wsl.exe (WSL Fleet tests and sandbox): see deploy/wsl-standin/README.md\n"
                + "WSL_STANDIN_STATE=" + quote(stateDir.toAbsolutePath().toString()) + "\n"
                + "export WSL_STANDIN_STATE\n"
                + "exec " + quote(java.toString())
                + " -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -Xmx64m -cp "
                + quote(System.getProperty("java.class.path")) + " " + WslStandIn.class.getName() + " \"$@\"\n";
        Path exe = binDir.resolve("wsl.exe");
        Files.writeString(exe, script, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(exe, PosixFilePermissions.fromString("rwxr-xr-x"));
        return exe;
    }

    /** Writes a {@code schtasks.exe} launcher running {@link SchtasksStandIn} on a state directory. */
    public static Path installSchtasks(Path binDir, Path stateDir) throws IOException {
        Files.createDirectories(binDir);
        Files.createDirectories(stateDir);
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        String script = "#!/bin/sh\n"
                + "SCHTASKS_STANDIN_STATE=" + quote(stateDir.toAbsolutePath().toString()) + "\n"
                + "export SCHTASKS_STANDIN_STATE\n"
                + "exec " + quote(java.toString()) + " -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx32m -cp "
                + quote(System.getProperty("java.class.path")) + " " + SchtasksStandIn.class.getName() + " \"$@\"\n";
        Path exe = binDir.resolve("schtasks.exe");
        Files.writeString(exe, script, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(exe, PosixFilePermissions.fromString("rwxr-xr-x"));
        return exe;
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
