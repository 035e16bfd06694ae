package io.wslfleet.buildworker;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongConsumer;

import io.wslfleet.protocol.events.BuildRequested;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.io.input.BoundedInputStream;

/**
 * Customises an upstream {@code nixos.wsl} for the company, streaming tar.gz to tar.gz with nothing unpacked to disk:
 * files are added or replaced ({@code /etc/nixos/configuration.nix}, CA certificates, …), keys set in
 * {@code /etc/wsl.conf}, and the {@code defaultName} set in {@code /etc/wsl-distribution.conf}. Every other entry is
 * copied with its header as read: name, mode, numeric owner, mtime, symlink target, type and PAX records. A replaced
 * file keeps its entry's mode, owner and mtime; added files (and missing parent directories) are appended, mode
 * 0644 / 0755, owner 0, mtime 1. Sizes over 8 GiB are written as PAX records. A sparse entry is refused
 * ({@link SparseRefusingTarInputStream}): it could only be written back with its holes filled in.
 */
public final class ArchiveCustomizer {

    private ArchiveCustomizer() {
    }

    /** What was changed, for the build's log. */
    public record Changes(List<String> replaced, List<String> added) {
    }

    public static Changes customize(InputStream compressed, OutputStream out, BuildRequested.Customization c)
            throws IOException {
        return customize(compressed, out, c, ArchiveInspector.Limits.DEFAULT, read -> { });
    }

    /**
     * As {@link #customize(InputStream, OutputStream, BuildRequested.Customization)}, refusing input beyond
     * {@code limits} while reading (a decompression bomb fails after a few megabytes), and reporting the compressed
     * bytes read so far to {@code progress} (about every megabyte).
     */
    public static Changes customize(InputStream compressed, OutputStream out, BuildRequested.Customization c,
                                    ArchiveInspector.Limits limits, LongConsumer progress) throws IOException {
        var counted = BoundedInputStream.builder().setInputStream(compressed).get();
        long[] reported = {0};
        InputStream input = new FilterInputStream(counted) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (counted.getCount() - reported[0] >= (1 << 20)) {
                    reported[0] = counted.getCount();
                    progress.accept(reported[0]);
                }
                return n;
            }
        };
        Map<String, byte[]> files = new LinkedHashMap<>();
        if (c != null && c.files() != null) {
            c.files().forEach((path, content) -> files.put(absolute(path), content.getBytes(StandardCharsets.UTF_8)));
        }
        boolean editDistribution = c != null && c.defaultName() != null && !c.defaultName().isBlank();
        boolean editWslConf = c != null && c.wslConf() != null && !c.wslConf().isEmpty();
        List<String> replaced = new ArrayList<>();
        Set<String> directories = new HashSet<>();
        try (var gz = GzipCompressorInputStream.builder().setInputStream(input).setDecompressConcatenated(true).get();
             var tarIn = new SparseRefusingTarInputStream(new ExpansionGuard(gz, counted::getCount, limits));
             var tarOut = new TarArchiveOutputStream(ReproducibleGzip.over(out), "UTF-8")) {
            tarOut.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tarOut.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            tarOut.setAddPaxHeadersForNonAsciiNames(true);
            TarArchiveEntry entry;
            while ((entry = tarIn.getNextEntry()) != null) {
                String name = ArchiveInspector.normalise(entry.getName());
                if (entry.getSize() > limits.maxUncompressedBytes()) {
                    throw new InvalidArchiveException(name + " declares " + entry.getSize() + " bytes, more than the "
                            + limits.maxUncompressedBytes() + " bytes allowed uncompressed");
                }
                if (entry.isDirectory()) {
                    directories.add(name);
                }
                byte[] replacement = null;
                if (entry.isFile() && !entry.isSymbolicLink() && !entry.isLink()) {
                    if (files.containsKey(name)) {
                        replacement = files.remove(name);
                    } else if (editDistribution && name.equals("/etc/wsl-distribution.conf")) {
                        replacement = setIni(new String(tarIn.readAllBytes(), StandardCharsets.UTF_8),
                                Map.of("oobe.defaultName", c.defaultName())).getBytes(StandardCharsets.UTF_8);
                    } else if (editWslConf && name.equals("/etc/wsl.conf")) {
                        replacement = setIni(new String(tarIn.readAllBytes(), StandardCharsets.UTF_8), c.wslConf())
                                .getBytes(StandardCharsets.UTF_8);
                        editWslConf = false;
                    }
                }
                if (replacement != null) {
                    // a new header with the old one's metadata: the input stream still needs the original size
                    TarArchiveEntry copy = new TarArchiveEntry(entry.getName(), true);
                    copy.setMode(entry.getMode());
                    copy.setUserId(entry.getLongUserId());
                    copy.setGroupId(entry.getLongGroupId());
                    copy.setUserName(entry.getUserName());
                    copy.setGroupName(entry.getGroupName());
                    copy.setModTime(entry.getLastModifiedTime());
                    copy.setSize(replacement.length);
                    tarOut.putArchiveEntry(copy);
                    tarOut.write(replacement);
                    tarOut.closeArchiveEntry();
                    replaced.add(name);
                    continue;
                }
                tarOut.putArchiveEntry(entry);
                if (entry.isFile() && !entry.isSymbolicLink() && !entry.isLink()) {
                    tarIn.transferTo(tarOut);
                }
                tarOut.closeArchiveEntry();
            }
            if (editWslConf) {
                files.put("/etc/wsl.conf", setIni("", c.wslConf()).getBytes(StandardCharsets.UTF_8));
            }
            List<String> added = new ArrayList<>();
            for (Map.Entry<String, byte[]> file : files.entrySet()) {
                addParents(tarOut, file.getKey(), directories);
                TarArchiveEntry e = new TarArchiveEntry("." + file.getKey());
                e.setMode(0100644);
                e.setSize(file.getValue().length);
                e.setModTime(FileTime.fromMillis(1000));
                e.setUserId(0);
                e.setGroupId(0);
                tarOut.putArchiveEntry(e);
                tarOut.write(file.getValue());
                tarOut.closeArchiveEntry();
                added.add(file.getKey());
            }
            tarOut.finish();
            progress.accept(counted.getCount());
            return new Changes(replaced, added);
        }
    }

    private static void addParents(TarArchiveOutputStream tar, String path, Set<String> directories) throws IOException {
        List<String> missing = new ArrayList<>();
        for (String dir = parent(path); dir != null && !dir.equals("/") && !directories.contains(dir); dir = parent(dir)) {
            missing.add(0, dir);
        }
        for (String dir : missing) {
            TarArchiveEntry e = new TarArchiveEntry("." + dir + "/");
            e.setMode(040755);
            e.setModTime(FileTime.fromMillis(1000));
            tar.putArchiveEntry(e);
            tar.closeArchiveEntry();
            directories.add(dir);
        }
    }

    private static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash <= 0 ? null : path.substring(0, slash);
    }

    private static String absolute(String path) {
        return path.startsWith("/") ? path : "/" + path;
    }

    /**
     * Sets {@code section.key} values in an INI text (wsl.conf, wsl-distribution.conf), keeping every other line,
     * comment and order; a missing key is added at the end of its section, a missing section at the end.
     */
    static String setIni(String text, Map<String, String> settings) {
        Map<String, Map<String, String>> wanted = new TreeMap<>();
        settings.forEach((k, v) -> {
            int dot = k.indexOf('.');
            if (dot <= 0) {
                throw new IllegalArgumentException("wsl.conf settings read section.key: " + k);
            }
            wanted.computeIfAbsent(k.substring(0, dot), s -> new LinkedHashMap<>()).put(k.substring(dot + 1), v);
        });
        List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
        if (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
            lines.remove(lines.size() - 1);
        }
        List<String> out = new ArrayList<>();
        String section = null;
        Map<String, String> pending = null;
        for (String line : lines) {
            String t = line.trim();
            if (t.startsWith("[") && t.endsWith("]")) {
                flush(out, pending);
                section = t.substring(1, t.length() - 1).trim();
                pending = wanted.containsKey(section) ? wanted.remove(section) : null;
                out.add(line);
                continue;
            }
            int eq = t.indexOf('=');
            if (pending != null && eq > 0 && !t.startsWith("#") && !t.startsWith(";")) {
                String key = t.substring(0, eq).trim();
                if (pending.containsKey(key)) {
                    out.add(key + " = " + pending.remove(key));
                    continue;
                }
            }
            out.add(line);
        }
        flush(out, pending);
        for (Map.Entry<String, Map<String, String>> s : wanted.entrySet()) {
            out.add("[" + s.getKey() + "]");
            s.getValue().forEach((k, v) -> out.add(k + " = " + v));
        }
        return String.join("\n", out) + "\n";
    }

    private static void flush(List<String> out, Map<String, String> pending) {
        if (pending == null || pending.isEmpty()) {
            return;
        }
        int at = out.size();
        while (at > 0 && out.get(at - 1).isBlank()) {
            at--;
        }
        List<String> add = new ArrayList<>();
        pending.forEach((k, v) -> add.add(k + " = " + v));
        out.addAll(at, add);
        pending.clear();
    }
}
