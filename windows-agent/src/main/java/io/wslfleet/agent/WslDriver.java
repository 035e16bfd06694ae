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
 * The one way the agent calls {@code wsl.exe}. Every call sets {@code WSL_UTF8=1} and still decodes UTF-16LE when
 * it comes (older WSL ignores the variable), turns CRLF into LF, reads wsl.exe's own errors from stdout
 * ({@code Error code: Wsl/...} → {@link WslException.Kind}), tells wsl.exe's own failure (exit -1 with an error code)
 * from a Linux command's exit code, and has a timeout after which the whole process tree is killed; a timed-out call
 * is escalated with {@code wsl --shutdown --force}.
 */
public final class WslDriver {

    private static final Logger LOG = Logger.getLogger(WslDriver.class.getName());
    private static final Pattern ERROR_CODE = Pattern.compile("(?m)^Error code:\\s*(\\S+)\\s*$");
    private static final Pattern VERSION = Pattern.compile("(?m)^WSL[^:\\n]*:\\s*(\\d+(?:\\.\\d+)+)");
    private static final Pattern KERNEL = Pattern.compile("(?m)^Kernel[^:\\n]*:\\s*(\\S+)");

    /** A finished call: exit status, decoded stdout and stderr. */
    public record Result(int exitCode, String stdout, String stderr) {
    }

    /** A row of {@code wsl -l -v}. */
    public record Distro(String name, String state, int version, boolean isDefault) {
    }

    private final Path wslExe;
    private final Duration defaultTimeout;

    public WslDriver(Path wslExe, Duration defaultTimeout) {
        this.wslExe = wslExe;
        this.defaultTimeout = defaultTimeout;
    }

    /** Runs wsl.exe; throws when wsl.exe itself failed (its error code on stdout) or timed out. */
    public Result call(Duration timeout, String... args) throws WslException {
        Result r = raw(timeout, args);
        Matcher m = ERROR_CODE.matcher(r.stdout());
        if (m.find()) {
            String code = m.group(1);
            String message = r.stdout().substring(0, m.start()).trim();
            throw new WslException(WslException.Kind.of(code), code, message.isEmpty() ? code : message);
        }
        return r;
    }

    public Result call(String... args) throws WslException {
        return call(defaultTimeout, args);
    }

    /** Runs a command in a distro as root; the Linux command's exit code is in the result. */
    public Result exec(String distro, Duration timeout, String... command) throws WslException {
        List<String> args = new ArrayList<>(List.of("-d", distro, "-u", "root", "--"));
        args.addAll(List.of(command));
        return call(timeout, args.toArray(String[]::new));
    }

    /** Runs a command in WSL's system distro, where the distro's root is {@code /mnt/wslg/distro}. */
    public Result execSystem(String distro, Duration timeout, String... command) throws WslException {
        List<String> args = new ArrayList<>(List.of("-d", distro, "--system", "--user", "root", "--"));
        args.addAll(List.of(command));
        return call(timeout, args.toArray(String[]::new));
    }

    /** {@code wsl --version}; empty on inbox WSL, where the option does not exist. */
    public Optional<String> wslVersion() throws WslException {
        try {
            Matcher m = VERSION.matcher(call("--version").stdout());
            return m.find() ? Optional.of(m.group(1)) : Optional.empty();
        } catch (WslException e) {
            if (e.kind() == WslException.Kind.INVALID_ARGUMENT || e.kind() == WslException.Kind.OTHER) {
                return Optional.empty();
            }
            throw e;
        }
    }

    public Optional<String> kernelVersion() {
        try {
            Matcher m = KERNEL.matcher(call("--version").stdout());
            return m.find() ? Optional.of(m.group(1)) : Optional.empty();
        } catch (WslException e) {
            return Optional.empty();
        }
    }

    /**
     * The registered distros. Names come from {@code wsl -l -q} (no localised text); state, version and the default
     * marker from {@code wsl -l -v} by column position, which is stable across languages.
     */
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

    public Optional<Distro> distro(String name) throws WslException {
        return distros().stream().filter(d -> d.name().equalsIgnoreCase(name)).findFirst();
    }

    /** Runs wsl.exe and returns whatever it did; only a timeout throws. */
    Result raw(Duration timeout, String... args) throws WslException {
        List<String> command = new ArrayList<>();
        command.add(wslExe.toString());
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("WSL_UTF8", "1");
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new WslException(WslException.Kind.SERVICE_UNAVAILABLE, null, "cannot run " + wslExe + ": " + e.getMessage());
        }
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
                LOG.warning("wsl.exe " + String.join(" ", args) + " timed out after " + timeout.toSeconds()
                        + " s: killed; escalating with wsl --shutdown --force");
                escalate();
                throw new WslException(WslException.Kind.TIMEOUT, null,
                        "wsl.exe " + String.join(" ", args) + " did not finish within " + timeout.toSeconds() + " s");
            }
            return new Result(process.exitValue(), decode(out.get(5, TimeUnit.SECONDS)), decode(err.get(5, TimeUnit.SECONDS)));
        } catch (InterruptedException e) {
            killTree(process);
            Thread.currentThread().interrupt();
            throw new WslException(WslException.Kind.TIMEOUT, null, "interrupted");
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new WslException(WslException.Kind.OTHER, null, "could not read wsl.exe output: " + e);
        }
    }

    private void escalate() {
        try {
            Process p = new ProcessBuilder(wslExe.toString(), "--shutdown", "--force").start();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                killTree(p);
            }
        } catch (IOException e) {
            LOG.warning("wsl --shutdown --force failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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
