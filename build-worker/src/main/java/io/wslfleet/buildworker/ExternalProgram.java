package io.wslfleet.buildworker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs an outside program (nix, the tarball builder) with a timeout; its output is kept for the failure message. */
final class ExternalProgram {

    record Result(int exitCode, String stdout, String stderr) {
        /** The last lines of stderr (or stdout when stderr is empty), for a person to act on. */
        String tail(int lines) {
            String text = stderr.isBlank() ? stdout : stderr;
            List<String> all = text.lines().toList();
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        }
    }

    private ExternalProgram() {
    }

    static Result run(Path dir, Duration timeout, String... command) throws IOException {
        Path out = Files.createTempFile(dir, "stdout-", ".log");
        Path err = Files.createTempFile(dir, "stderr-", ".log");
        List<String> cmd = new ArrayList<>(List.of(command));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                return new Result(-1, Files.readString(out, StandardCharsets.UTF_8),
                        Files.readString(err, StandardCharsets.UTF_8) + "\n" + command[0] + " killed after "
                                + timeout.toMinutes() + " min");
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + command[0], e);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
