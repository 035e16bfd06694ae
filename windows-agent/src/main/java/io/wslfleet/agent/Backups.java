package io.wslfleet.agent;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.zip.GZIPInputStream;

/**
 * Backups with {@code wsl --export}: {@code --format tar.gz} where WSL has it, a plain tar on inbox WSL (no
 * {@code --format} there). A backup exists only once its file is there and reads as a tar to its end: before that,
 * nothing may be unregistered.
 */
final class Backups {

    /** The export did not leave a readable archive. */
    static final class BackupFailed extends Exception {
        BackupFailed(String message) {
            super(message);
        }
    }

    private final Wsl wsl;
    private final Path dir;
    private final Duration timeout;
    private final Clock clock;

    Backups(Wsl wsl, Path dir, Duration timeout, Clock clock) {
        this.wsl = wsl;
        this.dir = dir;
        this.timeout = timeout;
        this.clock = clock;
    }

    /** {@code wsl --terminate} (a consistent copy), then the export; returns the checked file. */
    Path export(String distro) throws WslException, IOException, BackupFailed {
        Files.createDirectories(dir);
        boolean inbox = wsl.wslVersion().isEmpty();
        Path file = dir.resolve(distro + "-" + clock.instant().toString().replace(':', '-') + (inbox ? ".tar" : ".tar.gz"));
        wsl.call("--terminate", distro);
        try {
            if (inbox) {
                wsl.call(timeout.multipliedBy(5), "--export", distro, file.toString());
            } else {
                wsl.call(timeout.multipliedBy(5), "--export", distro, file.toString(), "--format", "tar.gz");
            }
        } catch (WslException e) {
            Files.deleteIfExists(file);
            if (e.kind() == WslException.Kind.TIMEOUT || e.kind() == WslException.Kind.DISK_FULL) {
                throw e;
            }
            throw new BackupFailed("wsl --export failed: " + e.getMessage());
        }
        if (!Files.isRegularFile(file)) {
            throw new BackupFailed("wsl --export reported success but wrote no " + file);
        }
        String problem = tarProblem(file);
        if (problem != null) {
            Files.deleteIfExists(file);
            throw new BackupFailed("the export " + file.getFileName() + " does not read as a tar: " + problem);
        }
        return file;
    }

    /**
     * {@code /home} of the distro as a gzip-compressed tar beside the backups, made inside the distro by GNU tar
     * ({@code tar -czf <file> -C / home}, the file reached through {@code wslpath}); checked like a backup. What
     * carries a user's files across a reimport: the fresh image has its own {@code /home}.
     */
    Path exportHome(String distro) throws WslException, IOException, BackupFailed {
        Files.createDirectories(dir);
        Path file = dir.resolve(distro + "-home-" + clock.instant().toString().replace(':', '-') + ".tar.gz");
        String linuxFile = linuxPath(distro, file);
        Wsl.Result r = wsl.exec(distro, timeout.multipliedBy(5), "tar", "-czf", linuxFile, "-C", "/", "home");
        if (r.exitCode() != 0) {
            Files.deleteIfExists(file);
            throw new BackupFailed("saving /home failed: tar exited " + r.exitCode() + ": " + r.stderr().trim());
        }
        String problem = Files.isRegularFile(file) ? tarProblem(file) : "no file";
        if (problem != null) {
            Files.deleteIfExists(file);
            throw new BackupFailed("the copy of /home " + file.getFileName() + " does not read as a tar: " + problem);
        }
        return file;
    }

    /** Unpacks a copy of {@code /home} made by {@link #exportHome} over the distro's {@code /home}. */
    void importHome(String distro, Path file) throws WslException {
        Rollback.expectOk(wsl.exec(distro, timeout.multipliedBy(5), "tar", "-xzf", linuxPath(distro, file), "-C", "/"),
                "restoring /home (tar -xzf)");
    }

    private String linuxPath(String distro, Path windowsFile) throws WslException {
        Wsl.Result r = wsl.exec(distro, timeout, "wslpath", "-u", windowsFile.toString());
        Rollback.expectOk(r, "wslpath -u " + windowsFile);
        return r.stdout().trim();
    }

    /** Null when the file (gzip-compressed or not) is a tar read to its end-of-archive blocks; else what is wrong. */
    static String tarProblem(Path file) throws IOException {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file))) {
            raw.mark(2);
            boolean gzip = raw.read() == 0x1f && raw.read() == 0x8b;
            raw.reset();
            InputStream in = gzip ? new GZIPInputStream(raw, 64 * 1024) : raw;
            byte[] header = new byte[512];
            int entries = 0;
            while (true) {
                if (in.readNBytes(header, 0, 512) < 512) {
                    return "ends inside a header after " + entries + " entries";
                }
                if (allZero(header)) {
                    return entries == 0 ? "no entries" : null;
                }
                if (!checksumMatches(header)) {
                    return "bad header checksum after " + entries + " entries";
                }
                long size = size(header);
                long padded = (size + 511) / 512 * 512;
                if (skip(in, padded) < padded) {
                    return "ends inside entry " + (entries + 1);
                }
                entries++;
            }
        } catch (java.util.zip.ZipException e) {
            return "not a valid gzip stream: " + e.getMessage();
        }
    }

    private static long skip(InputStream in, long n) throws IOException {
        long done = 0;
        byte[] buf = new byte[64 * 1024];
        while (done < n) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, n - done));
            if (r < 0) {
                break;
            }
            done += r;
        }
        return done;
    }

    private static boolean allZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean checksumMatches(byte[] h) {
        long sum = 0;
        for (int i = 0; i < 512; i++) {
            sum += (i >= 148 && i < 156) ? ' ' : (h[i] & 0xff);
        }
        String field = new String(h, 148, 8, StandardCharsets.US_ASCII).replace("\0", " ").trim();
        try {
            return !field.isEmpty() && Long.parseLong(field, 8) == sum;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** Octal, or base-256 (first byte's high bit) for sizes past 8 GiB. */
    private static long size(byte[] h) {
        if ((h[124] & 0x80) != 0) {
            long v = 0;
            for (int i = 125; i < 136; i++) {
                v = (v << 8) | (h[i] & 0xff);
            }
            return v;
        }
        String field = new String(h, 124, 12, StandardCharsets.US_ASCII).replace("\0", " ").trim();
        return field.isEmpty() ? 0 : Long.parseLong(field, 8);
    }
}
