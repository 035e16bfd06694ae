package io.wslfleet.wslstandin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
        return writeExecutable(binDir.resolve("wsl.exe"), script);
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
        return writeExecutable(binDir.resolve("schtasks.exe"), script);
    }

    /**
     * Writes a launcher so that nobody ever executes it while it is open for writing (Linux refuses that with
     * ETXTBSY, "Text file busy"): the script goes to a temporary name, is closed and made executable there, and is
     * renamed over the launcher; a launcher that already has this content is left alone (tests install the same
     * launcher again while other threads run it). A process another thread forks while the temporary file is open
     * inherits it open for writing until it execs; {@code WslDriver} retries a start that meets that.
     */
    private static Path writeExecutable(Path exe, String script) throws IOException {
        if (Files.isRegularFile(exe) && Files.isExecutable(exe)
                && Files.readString(exe, StandardCharsets.UTF_8).equals(script)) {
            return exe;
        }
        Path tmp = Files.createTempFile(exe.getParent(), exe.getFileName() + ".", ".tmp");
        try {
            Files.writeString(tmp, script, StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.move(tmp, exe, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return exe;
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
