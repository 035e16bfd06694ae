package io.wslfleet.agent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one way the agent runs {@code wsl.exe}. Every call sets {@code WSL_UTF8=1} and still decodes UTF-16LE when
 * it comes (older WSL ignores the variable), turns CRLF into LF, reads wsl.exe's own errors from stdout
 * ({@code Error code: Wsl/...} → {@link WslException.Kind}). A wsl.exe-level call that exits non-zero has failed even
 * without a code line (usage errors and options an older WSL lacks print none: WslClient.cpp returns -1).
 * Linux commands go through {@code -e} (exec, no shell: WslClient.cpp's WslMain splits the rest with
 * CommandLineToArgvW), so a Windows path arrives with its backslashes; after {@code --} the distro's shell would
 * parse the line again. Every call has a timeout; a timed-out call is ended step by step (see {@link #escalate}).
 */
public final class WslDriver implements Wsl {

    private static final Logger LOG = Logger.getLogger(WslDriver.class.getName());
    private static final Pattern ERROR_CODE = Pattern.compile("(?m)^Error code:\\s*(\\S+)\\s*$");
    private static final Pattern VERSION = Pattern.compile("(?m)^WSL[^:\\n]*:\\s*(\\d+(?:\\.\\d+)+)");
    /** How long a step of the escalation waits for wsl.exe: at most 10 s, less when the call's own timeout is. */
    private static final Duration MAX_PROBE_TIMEOUT = Duration.ofSeconds(10);

    /** What one wsl.exe call printed, undecoded. */
    record Raw(int exitCode, byte[] stdout, byte[] stderr) {
    }

    /**
     * Starts one wsl.exe call and waits for it: {@link #process} in the agent; tests also run the stand-in in their
     * own JVM through it.
     */
    interface Launcher {
        /** The call's output, or null when it did not finish within {@code timeout} (it has been ended then). */
        Raw run(List<String> args, Duration timeout) throws WslException;
    }

    private final Launcher launcher;
    private final Duration defaultTimeout;

    public WslDriver(Path wslExe, Duration defaultTimeout) {
        this(process(wslExe), defaultTimeout);
    }

    WslDriver(Launcher launcher, Duration defaultTimeout) {
        this.launcher = launcher;
        this.defaultTimeout = defaultTimeout;
    }

    /** Runs wsl.exe itself; throws when it failed (its error code, or a non-zero exit without one) or timed out. */
    @Override
    public Result call(Duration timeout, String... args) throws WslException {
        Result r = run(null, timeout, List.of(args));
        if (r.exitCode() != 0) {
            String message = r.stdout().trim();
            throw new WslException(WslException.Kind.NO_ERROR_CODE, null, "wsl.exe " + String.join(" ", args)
                    + " exited " + r.exitCode() + (message.isEmpty() ? "" : ": " + firstLine(message)));
        }
        return r;
    }

    @Override
    public Result call(String... args) throws WslException {
        return call(defaultTimeout, args);
    }

    @Override
    public Result exec(String distro, Duration timeout, String... command) throws WslException {
        return run(distro, timeout, linuxCommand(List.of("-d", distro, "-u", "root"), command));
    }

    @Override
    public Result execSystem(String distro, Duration timeout, String... command) throws WslException {
        return run(distro, timeout, linuxCommand(List.of("-d", distro, "--system", "--user", "root"), command));
    }

    /**
     * The one place a Linux command line is made: {@code -e} and the arguments as they are. Not {@code --}: the
     * shell behind it would strip backslashes and split at spaces. Not {@code -e --}: that execs a program named
     * {@code --}.
     */
    static List<String> linuxCommand(List<String> options, String... command) {
        List<String> args = new ArrayList<>(options);
        args.add("-e");
        args.addAll(List.of(command));
        return args;
    }

    @Override
    public Optional<String> wslVersion() throws WslException {
        try {
            Matcher m = VERSION.matcher(call("--version").stdout());
            return m.find() ? Optional.of(m.group(1)) : Optional.empty();
        } catch (WslException e) {
            if (e.kind() == WslException.Kind.NO_ERROR_CODE || e.kind() == WslException.Kind.INVALID_ARGUMENT
                    || e.kind() == WslException.Kind.OTHER) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public String versionText() {
        try {
            return call("--version").stdout();
        } catch (WslException e) {
            return "";
        }
    }

    /**
     * The registered distros. Names come from {@code wsl -l -q} (no localised text); state, version and the default
     * marker from {@code wsl -l -v} by column position, which is stable across languages.
     */
    @Override
    public List<Distro> distros() throws WslException {
        List<String> names = new ArrayList<>();
        for (String line : call("-l", "-q").stdout().split("\n")) {
            if (!line.isBlank()) {
                names.add(line.trim());
            }
        }
        if (names.isEmpty()) {
            return List.of();
        }
        List<Distro> distros = new ArrayList<>();
        String[] lines = call("-l", "-v").stdout().split("\n");
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            if (line.isBlank()) {
                continue;
            }
            boolean isDefault = line.startsWith("*");
            String[] cols = line.substring(Math.min(2, line.length())).trim().split("\\s+");
            if (cols.length >= 3 && names.contains(cols[0])) {
                int version = cols[cols.length - 1].matches("\\d+") ? Integer.parseInt(cols[cols.length - 1]) : 2;
                distros.add(new Distro(cols[0], cols[1], version, isDefault));
            }
        }
        return distros;
    }

    /** Runs wsl.exe; wsl.exe's code line throws, a Linux exit code is returned; a timeout is escalated. */
    private Result run(String distro, Duration timeout, List<String> args) throws WslException {
        Result r = once(timeout, args);
        if (r == null) {
            String step = escalate(distro, timeout.compareTo(MAX_PROBE_TIMEOUT) < 0 ? timeout : MAX_PROBE_TIMEOUT);
            LOG.warning("wsl.exe " + String.join(" ", args) + " timed out after " + timeout.toSeconds() + " s; " + step);
            throw new WslException(WslException.Kind.TIMEOUT, null, "wsl.exe " + String.join(" ", args)
                    + " did not finish within " + timeout.toSeconds() + " s; " + step);
        }
        Matcher m = ERROR_CODE.matcher(r.stdout());
        if (m.find()) {
            String code = m.group(1);
            String message = r.stdout().substring(0, m.start()).trim();
            throw new WslException(WslException.Kind.of(code), code, message.isEmpty() ? code : message);
        }
        return r;
    }

    /**
     * After a call timed out and its process tree was killed, each step only when the one before did not bring
     * WSL back (a quick command answers): the killed call was enough; {@code wsl --terminate} the distro (ends
     * what is stuck inside it, other distros keep running); only then {@code wsl --shutdown --force}, which stops
     * every distro of the user. Returns which step was needed, for the report.
     */
    private String escalate(String distro, Duration probe) throws WslException {
        if (answers(distro, probe)) {
            return "killing the call was enough";
        }
        if (distro != null) {
            once(probe, List.of("--terminate", distro));
            if (answers(distro, probe)) {
                return "it took wsl --terminate " + distro;
            }
        }
        once(MAX_PROBE_TIMEOUT.multipliedBy(3), List.of("--shutdown", "--force"));
        return "it took wsl --shutdown --force (every distro of the user stopped)";
    }

    private boolean answers(String distro, Duration probe) throws WslException {
        Result r = once(probe, distro == null ? List.of("-l", "-q")
                : linuxCommand(List.of("-d", distro, "-u", "root"), "true"));
        return r != null && (distro == null || r.exitCode() == 0);
    }

    private Result once(Duration timeout, List<String> args) throws WslException {
        Raw raw = launcher.run(args, timeout);
        return raw == null ? null : new Result(raw.exitCode(), decode(raw.stdout()), decode(raw.stderr()));
    }

    /** How long a start refused with ETXTBSY is tried again. */
    static final Duration TEXT_BUSY_RETRY = Duration.ofSeconds(3);

    /**
     * The real thing: one wsl.exe process per call, {@code WSL_UTF8=1}, nothing on its stdin; when it does not finish
     * in time its process tree is killed. A start that fails with ETXTBSY ("Text file busy": the program file is
     * open for writing somewhere, typically inherited by a child another thread forked while it was being written,
     * until that child execs) is tried again for up to {@link #TEXT_BUSY_RETRY}, as Go's toolchain does
     * (golang/go#22315); any other failure to start is at once SERVICE_UNAVAILABLE.
     */
    static Launcher process(Path wslExe) {
        return (args, timeout) -> {
            List<String> command = new ArrayList<>();
            command.add(wslExe.toString());
            command.addAll(args);
            ProcessBuilder pb = new ProcessBuilder(command);
            pb.environment().put("WSL_UTF8", "1");
            Process process = start(pb, wslExe);
            try {
                process.getOutputStream().close();
            } catch (IOException ignored) {
                // nothing to send
            }
            CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()));
            CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(process.getErrorStream()));
            try {
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    killTree(process);
                    return null;
                }
                return new Raw(process.exitValue(), out.get(5, TimeUnit.SECONDS), err.get(5, TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                killTree(process);
                Thread.currentThread().interrupt();
                throw new WslException(WslException.Kind.TIMEOUT, null, "interrupted");
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                throw new WslException(WslException.Kind.OTHER, null, "could not read wsl.exe output: " + e);
            }
        };
    }

    private static Process start(ProcessBuilder pb, Path wslExe) throws WslException {
        long until = System.nanoTime() + TEXT_BUSY_RETRY.toNanos();
        long pause = 10;
        while (true) {
            try {
                return pb.start();
            } catch (IOException e) {
                if (!textBusy(e) || System.nanoTime() > until) {
                    throw new WslException(WslException.Kind.SERVICE_UNAVAILABLE, null, "cannot run " + wslExe + ": "
                            + e.getMessage());
                }
            }
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new WslException(WslException.Kind.TIMEOUT, null, "interrupted");
            }
            pause = Math.min(pause * 2, 200);
        }
    }

    /** The JDK reports an exec's errno as {@code error=26, Text file busy}. */
    static boolean textBusy(IOException e) {
        String m = String.valueOf(e.getMessage());
        return m.contains("error=26") || m.contains("Text file busy");
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static void killTree(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    /**
     * UTF-16LE (what wsl.exe writes unless WSL_UTF8=1 is honoured) or UTF-8; CRLF to LF. UTF-16LE is recognised by
     * its BOM or by zero bytes in the odd positions of ASCII text.
     */
    static String decode(byte[] bytes) {
        String s;
        if (bytes.length >= 2 && (bytes[0] & 0xff) == 0xff && (bytes[1] & 0xff) == 0xfe) {
            s = new String(bytes, 2, bytes.length - 2, StandardCharsets.UTF_16LE);
        } else if (looksUtf16le(bytes)) {
            s = new String(bytes, StandardCharsets.UTF_16LE);
        } else {
            s = new String(bytes, StandardCharsets.UTF_8);
        }
        return s.replace("\r\n", "\n").replace("\u0000", "");
    }

    private static boolean looksUtf16le(byte[] b) {
        if (b.length < 2) {
            return false;
        }
        int pairs = Math.min(b.length / 2, 64);
        int zeroOdd = 0;
        for (int i = 0; i < pairs; i++) {
            if (b[2 * i + 1] == 0 && b[2 * i] != 0) {
                zeroOdd++;
            }
        }
        return zeroOdd * 2 > pairs;
    }

    private static byte[] readAll(InputStream in) {
        try (in) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            return out.toByteArray();
        } catch (IOException e) {
            return new byte[0];
        }
    }
}
