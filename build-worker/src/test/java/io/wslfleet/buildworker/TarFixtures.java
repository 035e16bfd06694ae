package io.wslfleet.buildworker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/** Small hostile or broken archives for the refusal tests. */
final class TarFixtures {

    record Entry(TarArchiveEntry entry, byte[] content) {
    }

    private TarFixtures() {
    }

    static Entry file(String name, String content) {
        TarArchiveEntry e = new TarArchiveEntry(name, true);
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        e.setSize(bytes.length);
        return new Entry(e, bytes);
    }

    static Entry hardLink(String name, String target) {
        TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_LINK, true);
        e.setLinkName(target);
        return new Entry(e, null);
    }

    static byte[] tarGz(Entry... entries) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (var tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(out))) {
            for (Entry e : entries) {
                tar.putArchiveEntry(e.entry());
                if (e.content() != null) {
                    tar.write(e.content());
                }
                tar.closeArchiveEntry();
            }
        }
        return out.toByteArray();
    }

    /** One file of {@code size} zero bytes: compresses about a thousand to one. */
    static byte[] zeroBomb(long size) throws IOException {
        ByteArrayOutputStream bomb = new ByteArrayOutputStream();
        try (var tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(bomb))) {
            TarArchiveEntry e = new TarArchiveEntry("./zeros");
            e.setSize(size);
            tar.putArchiveEntry(e);
            byte[] zeros = new byte[1 << 20];
            for (long left = size; left > 0; left -= zeros.length) {
                tar.write(zeros, 0, (int) Math.min(zeros.length, left));
            }
            tar.closeArchiveEntry();
        }
        return bomb.toByteArray();
    }

    /**
     * Runs {@code script} with {@code sh -c} in {@code dir} (GNU tar, gzip, truncate as independent producers) and
     * returns its standard output; a non-zero exit fails with its standard error.
     */
    static byte[] sh(Path dir, String script) throws IOException, InterruptedException {
        Path stderr = Files.createTempFile("sh-", ".err");
        try {
            Process p = new ProcessBuilder("sh", "-c", script).directory(dir.toFile())
                    .redirectError(stderr.toFile()).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (p.waitFor() != 0) {
                throw new IOException(script + " exited " + p.exitValue() + ": " + Files.readString(stderr));
            }
            return out;
        } finally {
            Files.delete(stderr);
        }
    }

    /** {@code root} packed by GNU tar + gzip as upstream does (sorted names, mtime 1, numeric owners) + {@code options}. */
    static byte[] gnuTarGz(Path root, String options) throws IOException, InterruptedException {
        return sh(root, "tar --sort=name --mtime=@1 --numeric-owner --hard-dereference " + options + " -cf - . | gzip -n");
    }

    /**
     * A sparse file of {@code size} ({@code truncate} syntax: 9G, 256M) with a few bytes of data in the middle: it
     * takes one block of disk, whatever its size.
     */
    static void sparseFile(Path file, String size) throws IOException, InterruptedException {
        Files.deleteIfExists(file);
        sh(file.getParent(), "truncate -s " + size + " " + file.getFileName()
                + " && printf data | dd of=" + file.getFileName() + " bs=4096 seek=$(( $(stat -c %s "
                + file.getFileName() + ") / 8192 )) conv=notrunc 2>/dev/null");
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** {@code tar -tvv} of a gzip'd archive as bytes (names exactly as GNU tar reads them), in the C locale. */
    static byte[] listing(Path archive) throws IOException, InterruptedException {
        return sh(archive.getParent(), "LC_ALL=C tar --numeric-owner --full-time -tvvzf '" + archive.getFileName() + "'");
    }
}
