package io.wslfleet.wslstandin;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Stream;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/**
 * A stand-in for {@code wsl.exe}, run as its own process. State lives under {@code $WSL_STANDIN_STATE}:
 * {@code distros/<name>/distro.properties} (location, version, default, state, booted system) and
 * {@code distros/<name>/rootfs/} (the distro's root). It mirrors the documented behaviour the agent relies on:
 * wsl.exe's own messages in UTF-16LE unless {@code WSL_UTF8=1}, CRLF, errors on stdout ending in
 * {@code Error code: Wsl/...} with exit status -1 (255 here), a Linux command's exit status passed through, distros
 * stopped until a command starts them, and {@code --system} giving the system distro with the distro's root at
 * {@code /mnt/wslg/distro}. Inside a distro it interprets the handful of commands the agent runs (systemctl,
 * readlink, cat, nix-env, nix copy, switch-to-configuration, nixos-wsl-version, nixos-wsl-recovery, mount, ln).
 */
public final class WslStandIn {

    static final String WSL_VERSION = "2.5.9.0";
    static final String OLDER_WSL_VERSION = "2.3.26.0";
    /** Every call's arguments, one line each, for tests that check what the agent asked for. */
    public static final String CALLS = "calls.log";
    static final int WSL_FAILED = 255;
    static final String HOST_MOUNT = "/mnt/host";

    private final Path state;
    private final boolean utf8;
    private final PrintStream stdout;
    private final PrintStream stderr;

    private final Runnable onHang;

    WslStandIn(Path state, boolean utf8, PrintStream stdout, PrintStream stderr) {
        this(state, utf8, stdout, stderr, () -> { });
    }

    private WslStandIn(Path state, boolean utf8, PrintStream stdout, PrintStream stderr, Runnable onHang) {
        this.state = state;
        this.utf8 = utf8;
        this.stdout = stdout;
        this.stderr = stderr;
        this.onHang = onHang;
    }

    /**
     * One wsl.exe call run in the caller's JVM, on the same state and with the same behaviour and faults as the
     * process ({@code WSL_UTF8=1} set): for fast tests of many cases. A call that hangs runs {@code onHang} once it
     * hangs, then sleeps until its thread is interrupted (the in-process kill of its process tree).
     *
     * @return the exit status, 255 for wsl.exe's -1
     */
    public static int runInProcess(Path state, List<String> args, OutputStream stdout, OutputStream stderr,
                                   Runnable onHang) throws Exception {
        boolean utf8 = !Files.exists(state.resolve("faults").resolve(StandInFaults.IGNORES_WSL_UTF8));
        return new WslStandIn(state, utf8, new PrintStream(stdout, true), new PrintStream(stderr, true, StandardCharsets.UTF_8),
                onHang).run(args.toArray(String[]::new));
    }

    public static void main(String[] args) throws Exception {
        String dir = System.getenv("WSL_STANDIN_STATE");
        if (dir == null) {
            System.err.println("WSL_STANDIN_STATE is not set");
            System.exit(WSL_FAILED);
        }
        Path state = Path.of(dir);
        boolean utf8 = "1".equals(System.getenv("WSL_UTF8"))
                && !Files.exists(state.resolve("faults").resolve(StandInFaults.IGNORES_WSL_UTF8));
        var standIn = new WslStandIn(state, utf8,
                new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true),
                System.err);
        int code = standIn.run(args);
        System.out.flush();
        System.exit(code);
    }

    int run(String[] args) throws Exception {
        List<String> a = Arrays.asList(args);
        String first = a.isEmpty() ? "" : a.get(0);
        Files.createDirectories(state);
        Files.writeString(state.resolve(CALLS), String.join(" ", a) + "\n", StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        if (idleStopNamed(a)) {
            // WSL stopped the idle distros (and their VM) before this call came: its boot, if it starts one, activates
            // whatever the system profile points at now
            for (String name : names()) {
                Properties p = load(name);
                p.setProperty("state", "Stopped");
                p.remove("booted");
                save(name, p);
            }
            Files.writeString(state.resolve("faults").resolve(StandInFaults.IDLE_STOPPED), String.join(" ", a));
        }
        if (matches(StandInFaults.HANG, a)) {
            // a wsl.exe client stuck by itself: killing its process tree is enough
            hangUntil(a, () -> false);
        }
        boolean shutdownForce = first.equals("--shutdown") && a.contains("--force");
        if (fault(StandInFaults.HANG_SERVICE) != null && !shutdownForce) {
            // the service is stuck: every call hangs until wsl --shutdown --force stops the VM
            hangUntil(a, () -> fault(StandInFaults.HANG_SERVICE) == null);
            return WSL_FAILED;
        }
        if (fault(StandInFaults.SERVICE_UNAVAILABLE) != null) {
            return fail("The Windows Subsystem for Linux service is not available. Try restarting the LxssManager service.",
                    "Wsl/Service/E_UNEXPECTED");
        }
        switch (first) {
            case "--version":
            case "-v":
                if (inbox()) {
                    // inbox wsl.exe has no --version: its usage text, no error code line, exit -1
                    return usage("Invalid command line argument: " + first);
                }
                say("WSL version: " + (fault(StandInFaults.OLDER) != null ? OLDER_WSL_VERSION : WSL_VERSION));
                say("Kernel version: 6.6.87.2-1");
                say("WSLg version: 1.0.66");
                say("Windows version: 10.0.26100.4652");
                return 0;
            case "-l":
            case "--list":
                return list(a.subList(1, a.size()));
            case "--install":
                if ((inbox() || fault(StandInFaults.OLDER) != null) && a.contains("--from-file")) {
                    // --install --from-file came with WSL 2.4.4
                    return usage("Invalid command line argument: --from-file");
                }
                return install(option(a, "--from-file"), option(a, "--name"), option(a, "--location"));
            case "--import":
                if (a.size() < 4) {
                    return usage("Invalid command line: --import <name> <location> <file>");
                }
                return install(a.get(3), a.get(1), a.get(2));
            case "-t":
            case "--terminate":
                return terminate(a.size() > 1 ? a.get(1) : "");
            case "--shutdown":
                StandInFaults.clear(state, StandInFaults.HANG_SERVICE);
                StandInFaults.clear(state, StandInFaults.HANG_DISTRO);
                for (String name : names()) {
                    Properties p = load(name);
                    p.setProperty("state", "Stopped");
                    p.remove("booted");
                    save(name, p);
                }
                say("The operation completed successfully.");
                return 0;
            case "--unregister":
                return unregister(a.size() > 1 ? a.get(1) : "");
            case "--export":
                return export(a);
            case "-d":
            case "--distribution":
                return exec(a);
            default:
                return usage("Invalid command line argument: " + first);
        }
    }

    interface Condition {
        boolean holds() throws IOException;
    }

    /**
     * Whether a fault naming a call ({@code *}, an argument, or {@code ARG@N}: only the Nth call with that argument
     * since the fault was injected) applies to this call. Calls with the argument are counted in
     * {@code faults/<fault>.count}.
     */
    private boolean matches(String faultName, List<String> a) throws IOException {
        String which = fault(faultName);
        if (which == null) {
            return false;
        }
        which = which.trim();
        if (which.equals("*")) {
            return true;
        }
        int at = which.lastIndexOf('@');
        if (at <= 0) {
            return a.contains(which);
        }
        if (!a.contains(which.substring(0, at))) {
            return false;
        }
        Path count = state.resolve("faults").resolve(faultName + ".count");
        int n = (Files.isRegularFile(count) ? Integer.parseInt(Files.readString(count).trim()) : 0) + 1;
        Files.writeString(count, Integer.toString(n));
        return n == Integer.parseInt(which.substring(at + 1));
    }

    /** The idle stop named by {@code faults/idle-stop} (once: the file goes, {@code idle-stopped} records the call). */
    private boolean idleStopNamed(List<String> a) throws IOException {
        if (!matches(StandInFaults.IDLE_STOP, a)) {
            return false;
        }
        StandInFaults.clear(state, StandInFaults.IDLE_STOP);
        return true;
    }

    /** Tells tests which call hangs, and in which process, then waits until the condition holds or it is killed. */
    private void hangUntil(List<String> a, Condition released) throws IOException, InterruptedException {
        Files.createDirectories(state.resolve("faults"));
        Files.writeString(state.resolve("faults").resolve(StandInFaults.HANGING),
                ProcessHandle.current().pid() + " " + String.join(" ", a) + "\n");
        onHang.run();
        while (!released.holds()) {
            Thread.sleep(100);
        }
    }

    private boolean inbox() throws IOException {
        return fault(StandInFaults.INBOX) != null;
    }

    // ---- wsl.exe's own commands ---------------------------------------------------------------------------------

    private int list(List<String> options) throws IOException {
        List<String> names = names();
        boolean quiet = options.contains("-q") || options.contains("--quiet");
        if (quiet) {
            for (String n : names) {
                say(n);
            }
            return 0;
        }
        if (names.isEmpty()) {
            return fail("Windows Subsystem for Linux has no installed distributions.\n"
                    + "You can resolve this by installing a distribution with the instructions below:\n\n"
                    + "Use 'wsl.exe --list --online' to list available distributions\n"
                    + "and 'wsl.exe --install <Distro>' to install.", "Wsl/WSL_E_DEFAULT_DISTRO_NOT_FOUND");
        }
        say("  NAME      STATE           VERSION");
        for (String n : names) {
            Properties p = load(n);
            String mark = "true".equals(p.getProperty("default")) ? "* " : "  ";
            say(String.format("%s%-9s %-15s %s", mark, n, p.getProperty("state"), p.getProperty("version")));
        }
        return 0;
    }

    private int install(String file, String name, String location) throws IOException {
        if (file == null || name == null) {
            return usage("Invalid command line: --install --from-file <file> --name <name> --location <dir>");
        }
        if (Files.exists(distroDir(name))) {
            return fail("A distribution with the supplied name already exists. Use --name to choose a different name.",
                    "Wsl/Service/RegisterDistro/ERROR_ALREADY_EXISTS");
        }
        if (fault(StandInFaults.DISK_FULL) != null) {
            // ERROR_DISK_FULL has no symbolic name in WSL's table: the HRESULT in hex, the system message with
            // FormatMessage's trailing space (WslClient.cpp error printing, Resources.resw has no own text for it)
            return fail("There is not enough space on the disk. ", "Wsl/Service/RegisterDistro/0x80070070");
        }
        Path rootfs = distroDir(name).resolve("rootfs");
        Files.createDirectories(rootfs);
        try {
            if (fault(StandInFaults.IMPORT_FAILS) != null) {
                throw new IOException("Damaged tar archive (injected)");
            }
            extract(Path.of(file), rootfs);
        } catch (IOException | RuntimeException e) {
            deleteTree(distroDir(name));
            stderr.println("bsdtar: Error opening archive: " + e.getMessage());
            return fail("The supplied install file is not a valid tar archive or could not be imported.",
                    "Wsl/Service/RegisterDistro/WSL_E_IMPORT_FAILED");
        }
        Properties p = new Properties();
        p.setProperty("name", name);
        p.setProperty("location", location == null ? distroDir(name).toString() : location);
        p.setProperty("version", "2");
        p.setProperty("state", "Stopped");
        p.setProperty("default", names().isEmpty() ? "true" : "false");
        save(name, p);
        say("The operation completed successfully.");
        return 0;
    }

    private int terminate(String name) throws IOException {
        if (!Files.exists(distroDir(name))) {
            return notFound();
        }
        Properties p = load(name);
        p.setProperty("state", "Stopped");
        p.remove("booted");
        save(name, p);
        // the distro's processes die with it: a command stuck inside returns
        StandInFaults.clear(state, StandInFaults.HANG_DISTRO);
        say("The operation completed successfully.");
        return 0;
    }

    private int unregister(String name) throws IOException {
        if (!Files.exists(distroDir(name))) {
            return notFound();
        }
        say("Unregistering.");
        deleteTree(distroDir(name));
        say("The operation completed successfully.");
        return 0;
    }

    private int export(List<String> a) throws IOException {
        if (a.size() < 3) {
            return usage("Invalid command line: --export <name> <file> [--format tar|tar.gz]");
        }
        String name = a.get(1);
        String format = option(a, "--format");
        if (format != null && inbox()) {
            // inbox wsl.exe knows no --format: usage text, no code line, exit -1, no file written
            return usage("Invalid command line argument: --format");
        }
        if (format != null && !List.of("tar", "tar.gz").contains(format)) {
            return usage("Invalid command line argument: " + format);
        }
        if (!Files.exists(distroDir(name))) {
            return notFound();
        }
        Path rootfs = distroDir(name).resolve("rootfs");
        say("Export in progress, this may take a few minutes.");
        // plain tar unless --format tar.gz (WslClient.cpp ExportDistribution)
        writeTar(rootfs, List.of("."), Path.of(a.get(2)), "tar.gz".equals(format));
        say("The operation completed successfully.");
        return 0;
    }

    /** A tar (gzip-compressed or not) of {@code members} of {@code base}, named as given ({@code ./x} or {@code x}). */
    private static void writeTar(Path base, List<String> members, Path archive, boolean gzip) throws IOException {
        OutputStream file = Files.newOutputStream(archive);
        try (OutputStream out = gzip ? new GzipCompressorOutputStream(file) : file;
             TarArchiveOutputStream tar = new TarArchiveOutputStream(out, "UTF-8")) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (String member : members) {
                writeEntries(base, member, tar);
            }
        }
    }

    private static void writeEntries(Path base, String member, TarArchiveOutputStream tar) throws IOException {
        Path top = base.resolve(member).normalize();
        List<Path> all;
        try (Stream<Path> walk = Files.walk(top)) {
            all = walk.sorted().toList();
        }
        String prefix = member.equals(".") ? "./" : "";
        for (Path p : all) {
            String rel = prefix + base.relativize(p);
            TarArchiveEntry e;
            boolean regular = false;
            if (Files.isSymbolicLink(p)) {
                e = new TarArchiveEntry(rel, org.apache.commons.compress.archivers.tar.TarConstants.LF_SYMLINK);
                e.setLinkName(Files.readSymbolicLink(p).toString());
            } else if (Files.isDirectory(p)) {
                e = new TarArchiveEntry(rel.endsWith("/") ? rel : rel + "/");
            } else {
                e = new TarArchiveEntry(rel);
                e.setSize(Files.size(p));
                regular = true;
            }
            tar.putArchiveEntry(e);
            if (regular) {
                Files.copy(p, tar);
            }
            tar.closeArchiveEntry();
        }
    }

    // ---- running a command inside a distro ----------------------------------------------------------------------

    /**
     * {@code -d NAME [-u USER] [--system] (-e CMD ARGS... | -- CMDLINE | CMDLINE)}, as WslClient.cpp's WslMain parses
     * it: after {@code -e}/{@code --exec} the arguments are exec'd as they are (so {@code -e -- x} runs a program
     * named {@code --}); after {@code --}, or without either, the rest of the command line goes to the distro's
     * shell, which parses it again (quotes, backslashes, {@code $}).
     */
    private int exec(List<String> a) throws IOException, InterruptedException {
        String name = a.size() > 1 ? a.get(1) : "";
        boolean system = false;
        List<String> cmd = List.of();
        for (int i = 2; i < a.size(); i++) {
            String arg = a.get(i);
            if (arg.equals("-u") || arg.equals("--user")) {
                i++;
            } else if (arg.equals("--system")) {
                if (inbox()) {
                    return usage("Invalid command line argument: --system");
                }
                system = true;
            } else if (arg.equals("-e") || arg.equals("--exec")) {
                cmd = a.subList(i + 1, a.size());
                break;
            } else if (arg.equals("--")) {
                cmd = Shell.split(String.join(" ", a.subList(i + 1, a.size())));
                break;
            } else if (arg.startsWith("-")) {
                return usage("Invalid command line argument: " + arg);
            } else {
                cmd = Shell.split(String.join(" ", a.subList(i, a.size())));
                break;
            }
        }
        if (!Files.exists(distroDir(name))) {
            return notFound();
        }
        String distroHang = fault(StandInFaults.HANG_DISTRO);
        if (distroHang != null && (distroHang.trim().equals("*") || distroHang.trim().equalsIgnoreCase(name))) {
            // a command stuck inside the distro: killing wsl.exe leaves it there; wsl --terminate ends it
            hangUntil(a, () -> fault(StandInFaults.HANG_DISTRO) == null);
            return 1;
        }
        Path rootfs = distroDir(name).resolve("rootfs");
        if (system) {
            return systemDistro(name, rootfs, cmd);
        }
        Properties p = load(name);
        idleStop(p);
        if (!"Running".equals(p.getProperty("state"))) {
            // the boot activates whatever the system profile points at now (the NixOS-WSL /sbin/init shim)
            String profile = resolve(rootfs, "/nix/var/nix/profiles/system");
            String fault = faultOf(rootfs, profile);
            if (fault.startsWith("noboot")) {
                stderr.println("/sbin/init: activation of " + profile + " failed; systemd did not start");
                return fail("The distribution failed to start. Its init process exited.",
                        "Wsl/Service/CreateInstance/CreateVm/E_FAIL");
            }
            p.setProperty("state", "Running");
            p.setProperty("booted", profile == null ? "" : profile); // "" for a distro that is not NixOS
            p.setProperty("bootedAt", Instant.now().toString());
        }
        p.setProperty("lastUsed", Long.toString(System.currentTimeMillis()));
        save(name, p);
        if (!cmd.isEmpty() && cmd.get(0).equals("--")) {
            err("execvpe(--) failed: No such file or directory");
            return 1;
        }
        return linux(rootfs, p.getProperty("booted"), cmd);
    }

    /**
     * WSL stops a distro nobody uses after about 15 s (and its VM after about 60 s). The stand-in does so when
     * {@code faults/idle-seconds} have passed since the distro's last command; an idle stop named by
     * {@code faults/idle-stop} stops every distro before the call it names (see {@link #run}).
     */
    private void idleStop(Properties p) throws IOException {
        if (!"Running".equals(p.getProperty("state"))) {
            return;
        }
        String seconds = fault(StandInFaults.IDLE_SECONDS);
        long last = Long.parseLong(p.getProperty("lastUsed", "0"));
        if (seconds != null && System.currentTimeMillis() - last > Long.parseLong(seconds.trim()) * 1000) {
            p.setProperty("state", "Stopped");
            p.remove("booted");
        }
    }

    /** Commands as NixOS would run them; output is the Linux program's own (UTF-8, LF). */
    private int linux(Path rootfs, String booted, List<String> cmd) throws IOException {
        if (cmd.isEmpty()) {
            return 0;
        }
        String c = cmd.get(0);
        String fault = faultOf(rootfs, booted);
        if (c.equals("systemctl") && cmd.contains("is-system-running")) {
            if (fault.startsWith("degraded")) {
                out("degraded");
                return 1;
            }
            out("running");
            return 0;
        }
        if (c.equals("systemctl") && cmd.contains("--failed")) {
            if (fault.startsWith("degraded")) {
                for (String unit : fault.substring("degraded".length()).trim().split(",")) {
                    if (!unit.isBlank()) {
                        out(unit.trim() + " loaded failed failed " + unit.trim());
                    }
                }
            }
            return 0;
        }
        if (c.equals("readlink") && cmd.size() >= 2) {
            boolean follow = cmd.contains("-f");
            String target = cmd.get(cmd.size() - 1);
            if (target.equals("/run/current-system")) {
                out(booted);
                return 0;
            }
            if (!follow) {
                Path link = inRoot(rootfs, target);
                if (!Files.isSymbolicLink(link)) {
                    return 1;
                }
                out(Files.readSymbolicLink(link).toString());
                return 0;
            }
            String resolved = resolve(rootfs, target);
            if (resolved == null) {
                return 1;
            }
            out(resolved);
            return 0;
        }
        if (c.equals("cat") && cmd.size() == 2) {
            Path f = inRoot(rootfs, cmd.get(1));
            if (!Files.isRegularFile(f)) {
                err("cat: " + cmd.get(1) + ": No such file or directory");
                return 1;
            }
            stdout.write(Files.readAllBytes(f));
            return 0;
        }
        if (c.equals("nixos-wsl-version")) {
            Path v = inRoot(rootfs, booted + "/sw/share/nixos-wsl/version");
            String version = Files.isRegularFile(v) ? Files.readString(v).trim() : "unknown";
            out("{\"version\":\"" + version + "\",\"rev\":\"0000000\"}");
            return 0;
        }
        if (c.equals("nix-env") && cmd.contains("-p")) {
            return nixEnv(rootfs, cmd);
        }
        if (c.endsWith("/bin/switch-to-configuration")) {
            Path script = inRoot(rootfs, c);
            if (!Files.isRegularFile(script)) {
                err("/bin/sh: " + c + ": No such file or directory");
                return 127;
            }
            out("updating GRUB 2 menu... (not on WSL)");
            return 0;
        }
        if (c.equals("wslpath") && cmd.size() >= 2) {
            // the stand-in's "Windows" side is the host file system, seen from the distro under /mnt/host
            out(HOST_MOUNT + Path.of(cmd.get(cmd.size() - 1)).toAbsolutePath());
            return 0;
        }
        if (c.equals("mkdir")) {
            Files.createDirectories(inRoot(rootfs, cmd.get(cmd.size() - 1)));
            return 0;
        }
        if (c.equals("rm") && cmd.size() >= 3) {
            deleteTree(inRoot(rootfs, cmd.get(cmd.size() - 1)));
            return 0;
        }
        if (c.equals("tar") && cmd.contains("-czf") && cmd.contains("-C")) {
            // GNU tar -czf <file> -C <dir> <members...>: entries named as the members are ("home/nixos/...")
            String file = cmd.get(cmd.indexOf("-czf") + 1);
            Path target = file.startsWith(HOST_MOUNT) ? Path.of(file.substring(HOST_MOUNT.length())) : inRoot(rootfs, file);
            Path dir = inRoot(rootfs, cmd.get(cmd.indexOf("-C") + 1));
            List<String> members = cmd.subList(cmd.indexOf("-C") + 2, cmd.size());
            for (String m : members) {
                if (!Files.exists(dir.resolve(m), LinkOption.NOFOLLOW_LINKS)) {
                    err("tar: " + m + ": Cannot stat: No such file or directory");
                    return 2;
                }
            }
            if (target.getParent() == null || !Files.isDirectory(target.getParent())) {
                err("tar: " + file + ": Cannot open: No such file or directory");
                return 2;
            }
            writeTar(dir, members, target, true);
            return 0;
        }
        if (c.equals("tar") && cmd.contains("-C")) {
            // tar -xzf <file> -C <dir> [members...]
            String file = cmd.get(cmd.indexOf("-xzf") + 1);
            Path source = file.startsWith(HOST_MOUNT) ? Path.of(file.substring(HOST_MOUNT.length())) : inRoot(rootfs, file);
            Path dest = inRoot(rootfs, cmd.get(cmd.indexOf("-C") + 1));
            if (!Files.isRegularFile(source)) {
                err("tar: " + file + ": Cannot open: No such file or directory");
                return 2;
            }
            if (fault(StandInFaults.DISK_FULL) != null) {
                err("tar: ./nix/store: Cannot write: No space left on device");
                return 2;
            }
            Files.createDirectories(dest);
            extract(source, dest);
            return 0;
        }
        if (c.equals("nix") && cmd.size() > 1 && cmd.get(1).equals("copy")) {
            // nix copy --no-check-sigs --from local?root=<tmp> <store path>: copies the store paths it finds there
            String from = cmd.stream().filter(x -> x.startsWith("local?root=")).findFirst().orElse(null);
            String path = cmd.get(cmd.size() - 1);
            if (from == null) {
                err("error: nix copy needs --from");
                return 1;
            }
            Path tmpStore = inRoot(rootfs, from.substring("local?root=".length()) + "/nix/store");
            if (!Files.isDirectory(tmpStore.resolve(path.substring("/nix/store/".length())))) {
                err("error: path '" + path + "' is not valid");
                return 1;
            }
            Path store = inRoot(rootfs, "/nix/store");
            try (Stream<Path> paths = Files.list(tmpStore)) {
                for (Path p : paths.toList()) {
                    Path target = store.resolve(p.getFileName().toString());
                    if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                        copyTree(p, target);
                    }
                }
            }
            return 0;
        }
        if (c.equals("true")) {
            return 0;
        }
        if (c.equals("echo")) {
            out(String.join(" ", cmd.subList(1, cmd.size())));
            return 0;
        }
        err("/bin/sh: line 1: " + c + ": command not found");
        return 127;
    }

    private int nixEnv(Path rootfs, List<String> cmd) throws IOException {
        Path profiles = inRoot(rootfs, "/nix/var/nix/profiles");
        if (cmd.contains("--list-generations")) {
            String current = Files.readSymbolicLink(profiles.resolve("system")).toString();
            for (int n : generations(profiles)) {
                String link = "system-" + n + "-link";
                out(String.format("%4d   %s   %s", n, "2026-01-01 00:00:00", link.equals(current) ? "(current)" : ""));
            }
            return 0;
        }
        int i = cmd.indexOf("--switch-generation");
        if (i >= 0 && i + 1 < cmd.size()) {
            String link = "system-" + cmd.get(i + 1) + "-link";
            if (!Files.isSymbolicLink(profiles.resolve(link))) {
                err("error: generation " + cmd.get(i + 1) + " does not exist");
                return 1;
            }
            repoint(profiles, link);
            err("switching profile from version X to " + cmd.get(i + 1));
            return 0;
        }
        i = cmd.indexOf("--set");
        if (i >= 0 && i + 1 < cmd.size()) {
            String path = cmd.get(i + 1);
            if (!Files.isDirectory(inRoot(rootfs, path))) {
                err("error: path '" + path + "' is not valid");
                return 1;
            }
            List<Integer> gens = generations(profiles);
            int next = gens.isEmpty() ? 1 : gens.get(gens.size() - 1) + 1;
            Files.createSymbolicLink(profiles.resolve("system-" + next + "-link"), Path.of(path));
            repoint(profiles, "system-" + next + "-link");
            return 0;
        }
        err("error: unsupported nix-env operation " + cmd);
        return 1;
    }

    /** The system distro: the NixOS root at /mnt/wslg/distro, the recovery shell, and a read-only mount to fix. */
    private int systemDistro(String name, Path rootfs, List<String> cmd) throws IOException {
        if (cmd.isEmpty()) {
            return 0;
        }
        String c = cmd.get(0);
        if (c.equals("/mnt/wslg/distro/bin/nixos-wsl-recovery")) {
            return recoveryShell(rootfs, cmd.subList(1, cmd.size()));
        }
        if (c.equals("mount")) {
            return 0;
        }
        if (c.equals("ls") && cmd.size() >= 2 && cmd.get(cmd.size() - 1).startsWith("/mnt/wslg/distro/")) {
            Path dir = rootfs.resolve(cmd.get(cmd.size() - 1).substring("/mnt/wslg/distro/".length()));
            if (!Files.isDirectory(dir)) {
                err("ls: cannot access '" + cmd.get(cmd.size() - 1) + "': No such file or directory");
                return 2;
            }
            try (Stream<Path> list = Files.list(dir)) {
                list.map(x -> x.getFileName().toString()).sorted().forEach(this::out);
            }
            return 0;
        }
        if (c.equals("ln") && cmd.size() >= 4 && cmd.get(1).startsWith("-")) {
            // ln -sfn system-N-link /mnt/wslg/distro/nix/var/nix/profiles/system
            String target = cmd.get(cmd.size() - 2);
            String link = cmd.get(cmd.size() - 1);
            if (!link.startsWith("/mnt/wslg/distro/")) {
                err("ln: cannot create symbolic link '" + link + "': Read-only file system");
                return 1;
            }
            Path l = rootfs.resolve(link.substring("/mnt/wslg/distro/".length()));
            Files.deleteIfExists(l);
            Files.createSymbolicLink(l, Path.of(target));
            return 0;
        }
        if (c.equals("readlink") && cmd.size() >= 2) {
            String target = cmd.get(cmd.size() - 1);
            if (target.startsWith("/mnt/wslg/distro/") && !cmd.contains("-f")) {
                Path link = rootfs.resolve(target.substring("/mnt/wslg/distro/".length()));
                if (!Files.isSymbolicLink(link)) {
                    return 1;
                }
                out(Files.readSymbolicLink(link).toString());
                return 0;
            }
            if (target.startsWith("/mnt/wslg/distro/")) {
                String r = resolve(rootfs, target.substring("/mnt/wslg/distro".length()));
                if (r != null) {
                    out(r);
                    return 0;
                }
            }
            return 1;
        }
        err("/bin/sh: " + c + ": not found");
        return 127;
    }

    /**
     * NixOS-WSL's {@code nixos-wsl-recovery} (modules/recovery.nix): remount {@code /mnt/wslg/distro} read-write and
     * exec nixos-enter {@code --root /mnt/wslg/distro "$@"}. nixos-enter (nixpkgs nixos-enter.sh) takes
     * {@code --system PATH}, {@code -c CMD}, {@code -- CMD ARGS}; refuses a root without {@code /etc/NIXOS} (exit
     * 126); runs the chosen system's {@code activate} in the chroot ignoring its failure; then runs the command.
     * The profile link is not touched: the generation is active for this session only.
     */
    private int recoveryShell(Path rootfs, List<String> args) throws IOException {
        if (fault(StandInFaults.RECOVERY_BAD_INTERPRETER) != null) {
            err("/mnt/wslg/distro/bin/nixos-wsl-recovery: /nix/store/8vbq5d2zmjx0vqf2c7mn3xc2ggp3jdfb-bash-5.2p37/bin/sh: "
                    + "bad interpreter: No such file or directory");
            return 126;
        }
        String system = "/nix/var/nix/profiles/system";
        List<String> command = List.of();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (arg.equals("--system") && i + 1 < args.size()) {
                system = args.get(++i);
            } else if ((arg.equals("-c") || arg.equals("--command")) && i + 1 < args.size()) {
                command = Shell.split(args.get(++i));
            } else if (arg.equals("--")) {
                command = args.subList(i + 1, args.size());
                break;
            } else {
                err("nixos-enter: unknown option `" + arg + "'");
                return 1;
            }
        }
        if (!Files.exists(inRoot(rootfs, "/etc/NIXOS"))) {
            err("nixos-enter: '/mnt/wslg/distro' is not a NixOS installation");
            return 126;
        }
        String active = resolve(rootfs, system);
        if (active == null) {
            err(system + "/activate: No such file or directory");
        }
        return linux(rootfs, active, command);
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private static void repoint(Path profiles, String linkName) throws IOException {
        Path tmp = profiles.resolve(".system-tmp");
        Files.deleteIfExists(tmp);
        Files.createSymbolicLink(tmp, Path.of(linkName));
        Files.move(tmp, profiles.resolve("system"), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private static List<Integer> generations(Path profiles) throws IOException {
        List<Integer> gens = new ArrayList<>();
        try (Stream<Path> list = Files.list(profiles)) {
            list.map(p -> p.getFileName().toString()).filter(n -> n.matches("system-\\d+-link"))
                    .forEach(n -> gens.add(Integer.parseInt(n.substring(7, n.length() - 5))));
        }
        gens.sort(Comparator.naturalOrder());
        return gens;
    }

    /** Follows symlinks inside the distro's root (absolute targets are relative to the root); null if dangling. */
    static String resolve(Path rootfs, String linuxPath) throws IOException {
        String current = linuxPath;
        for (int hops = 0; hops < 40; hops++) {
            Path p = inRoot(rootfs, current);
            if (!Files.isSymbolicLink(p)) {
                return Files.exists(p, LinkOption.NOFOLLOW_LINKS) ? current : null;
            }
            String target = Files.readSymbolicLink(p).toString();
            current = target.startsWith("/") ? target
                    : current.substring(0, current.lastIndexOf('/') + 1) + target;
        }
        return null;
    }

    private static String faultOf(Path rootfs, String systemPath) throws IOException {
        if (systemPath == null) {
            return "";
        }
        Path f = inRoot(rootfs, systemPath + "/wsl-fleet-fault");
        return Files.isRegularFile(f) ? Files.readString(f).trim() : "";
    }

    static Path inRoot(Path rootfs, String linuxPath) {
        String rel = linuxPath.startsWith("/") ? linuxPath.substring(1) : linuxPath;
        return rel.isEmpty() ? rootfs : rootfs.resolve(rel);
    }

    private static void extract(Path archive, Path rootfs) throws IOException {
        // bsdtar detects the compression: a tar or a gzip-compressed tar
        InputStream raw = new java.io.BufferedInputStream(Files.newInputStream(archive));
        raw.mark(2);
        boolean gzip = raw.read() == 0x1f && raw.read() == 0x8b;
        raw.reset();
        try (InputStream in = gzip ? new GzipCompressorInputStream(raw) : raw;
             TarArchiveInputStream tar = new TarArchiveInputStream(in, "UTF-8")) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                String name = e.getName().replaceFirst("^(\\./|/)+", "");
                if (name.isEmpty() || name.equals(".") || name.equals("./")) {
                    continue;
                }
                Path target = rootfs.resolve(name).normalize();
                if (!target.startsWith(rootfs)) {
                    throw new IOException("entry outside the root: " + e.getName());
                }
                if (e.isDirectory()) {
                    Files.createDirectories(target);
                } else if (e.isSymbolicLink()) {
                    Files.createDirectories(target.getParent());
                    try {
                        Files.createSymbolicLink(target, Path.of(e.getLinkName()));
                    } catch (FileAlreadyExistsException ignored) {
                        // duplicate entry: the first one wins, as with bsdtar -k
                    }
                } else if (e.isFile()) {
                    Files.createDirectories(target.getParent());
                    Files.copy(tar, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    if ((e.getMode() & 0111) != 0) {
                        Set<PosixFilePermission> perms = EnumSet.copyOf(Files.getPosixFilePermissions(target));
                        perms.add(PosixFilePermission.OWNER_EXECUTE);
                        Files.setPosixFilePermissions(target, perms);
                    }
                }
            }
        }
    }

    private List<String> names() throws IOException {
        Path dir = state.resolve("distros");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> list = Files.list(dir)) {
            return list.filter(p -> Files.isRegularFile(p.resolve("distro.properties")))
                    .map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private Path distroDir(String name) {
        return state.resolve("distros").resolve(name.isEmpty() ? "_" : name);
    }

    private Properties load(String name) throws IOException {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(distroDir(name).resolve("distro.properties"))) {
            p.load(in);
        }
        return p;
    }

    private void save(String name, Properties p) throws IOException {
        Path file = distroDir(name).resolve("distro.properties");
        Path tmp = file.resolveSibling("distro.properties.tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            p.store(out, null);
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private String fault(String name) throws IOException {
        Path f = state.resolve("faults").resolve(name);
        return Files.isRegularFile(f) ? Files.readString(f) : null;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isSymbolicLink(p)) {
                    Files.createSymbolicLink(t, Files.readSymbolicLink(p));
                } else if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private int notFound() {
        return fail("There is no distribution with the supplied name.", "Wsl/Service/WSL_E_DISTRO_NOT_FOUND");
    }

    /** A usage error: the message and the usage text, no {@code Error code:} line, exit -1. */
    private int usage(String message) {
        say(message);
        say("");
        say("Copyright (c) Microsoft Corporation. All rights reserved.");
        say("");
        say("Usage: wsl.exe [Argument] [Options...] [CommandLine]");
        return WSL_FAILED;
    }

    /** wsl.exe's own failure: the message and the error code on stdout, exit -1. */
    private int fail(String message, String code) {
        for (String line : message.split("\n", -1)) {
            say(line);
        }
        say("Error code: " + code);
        return WSL_FAILED;
    }

    /** A line of wsl.exe's own output: UTF-16LE unless WSL_UTF8=1, CRLF. */
    private void say(String line) {
        stdout.writeBytes((line + "\r\n").getBytes(utf8 ? StandardCharsets.UTF_8 : StandardCharsets.UTF_16LE));
        stdout.flush();
    }

    /** A line of a Linux program's output: UTF-8, LF. */
    private void out(String line) {
        stdout.writeBytes((line + "\n").getBytes(StandardCharsets.UTF_8));
        stdout.flush();
    }

    private void err(String line) {
        stderr.println(line);
        stderr.flush();
    }

    static String option(List<String> args, String name) {
        int i = args.indexOf(name);
        return i >= 0 && i + 1 < args.size() ? args.get(i + 1) : null;
    }
}
