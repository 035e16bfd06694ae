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
 * files are added or replaced (bytes, with mode and owner), keys set in {@code /etc/wsl.conf} where NixOS does not
 * manage it, and the {@code defaultName} set in {@code /etc/wsl-distribution.conf}. What a customisation may touch
 * is {@link CustomizationPolicy}'s decision, made on the {@link ArchiveInspector.Inspection} of the input before
 * anything is written ({@link #plan}). Every other entry is copied with its header as read: name (the same bytes,
 * {@link TarNames}), mode, numeric owner, mtime, symlink target, type and PAX records. A replaced file keeps its
 * entry's mode, owner and mtime unless the customisation gives them; added files (and missing parent directories)
 * go where GNU tar's {@code --sort=name} puts them, mode 0644 / 0755 unless given, owner 0, mtime 1. Sizes over
 * 8 GiB are written as PAX records, long names as GNU long-name records (as GNU tar writes them). A sparse entry is
 * refused ({@link SparseRefusingTarInputStream}): it could only be written back with its holes filled in.
 */
public final class ArchiveCustomizer {

    private ArchiveCustomizer() {
    }

    /** What was changed, for the build's log (paths as UTF-8 where they are). */
    public record Changes(List<String> replaced, List<String> added) {
    }

    /** A file to write: its bytes, and mode bits / owner, null where the customisation did not say. */
    record NewFile(byte[] content, Integer mode, Long uid, Long gid) {
    }

    /** A customisation checked against the image it applies to: what {@link #customize} writes. */
    public static final class Plan {
        private final Map<String, NewFile> files;
        private final String defaultName;
        private final Map<String, String> wslConf;
        private final Set<String> existingParents;
        private final boolean sortedNames;
        private final long tarBytes;

        private Plan(Map<String, NewFile> files, String defaultName, Map<String, String> wslConf,
                     Set<String> existingParents, boolean sortedNames, long tarBytes) {
            this.files = files;
            this.defaultName = defaultName;
            this.wslConf = wslConf;
            this.existingParents = existingParents;
            this.sortedNames = sortedNames;
            this.tarBytes = tarBytes;
        }

        /** True if the plan changes nothing. */
        public boolean isEmpty() {
            return files.isEmpty() && defaultName == null && wslConf.isEmpty();
        }
    }

    /** The paths (byte strings) a customisation writes, for {@link ArchiveInspector#inspect(InputStream, ArchiveInspector.Limits, Set)}. */
    public static Set<String> targets(BuildRequested.Customization c) {
        return CustomizationPolicy.targets(files(c), c != null && !c.wslConf().isEmpty(),
                c != null && c.defaultName() != null && !c.defaultName().isBlank());
    }

    /**
     * Checks the customisation against the image: refused (with what to do instead) if it touches what NixOS puts
     * back or lands on or passes through a symlink; an {@link IllegalArgumentException} if it is malformed (a path
     * not absolute or with {@code ..}, content not base64, a mode not octal, a path given twice).
     */
    public static Plan plan(BuildRequested.Customization c, ArchiveInspector.Inspection image)
            throws CustomizationRefusedException {
        Map<String, NewFile> files = files(c);
        String defaultName = c != null && c.defaultName() != null && !c.defaultName().isBlank() ? c.defaultName() : null;
        if (defaultName != null && (defaultName.contains("\n") || defaultName.contains("\r"))) {
            throw new IllegalArgumentException("defaultName is one line");
        }
        Map<String, String> wslConf = c == null ? Map.of() : new TreeMap<>(c.wslConf());
        wslConf.forEach((k, v) -> {
            if (k.indexOf('.') <= 0 || v.contains("\n") || v.contains("\r")) {
                throw new IllegalArgumentException("wsl.conf settings read section.key=value on one line: " + k);
            }
        });
        Set<String> targets = CustomizationPolicy.targets(files, !wslConf.isEmpty(), defaultName != null);
        if (defaultName != null && files.containsKey(CustomizationPolicy.DISTRIBUTION_CONF)
                || !wslConf.isEmpty() && files.containsKey(CustomizationPolicy.WSL_CONF)) {
            throw new IllegalArgumentException("a file is both replaced and edited: give either the file or the settings");
        }
        CustomizationPolicy.check(targets, image, wslConf.keySet());
        Set<String> existingParents = new HashSet<>();
        image.kinds().forEach((path, kind) -> {
            if (kind == ArchiveInspector.Kind.DIRECTORY) {
                existingParents.add(path);
            }
        });
        return new Plan(files, defaultName, wslConf, existingParents, image.sortedNames(), image.tarBytes());
    }

    private static Map<String, NewFile> files(BuildRequested.Customization c) {
        Map<String, NewFile> files = new LinkedHashMap<>();
        if (c == null) {
            return files;
        }
        c.files().forEach((path, text) -> put(files, path, new NewFile(text.getBytes(StandardCharsets.UTF_8), null, null, null)));
        for (BuildRequested.File f : c.fileContents()) {
            byte[] content;
            try {
                content = f.content();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("the content of " + f.path() + " is not base64: " + e.getMessage());
            }
            Integer mode = null;
            if (f.mode() != null) {
                if (!f.mode().matches("0?[0-7]{3,4}")) {
                    throw new IllegalArgumentException("the mode of " + f.path() + " is octal permission bits (0644, 4755): "
                            + f.mode());
                }
                mode = Integer.parseInt(f.mode(), 8);
            }
            if (f.uid() != null && f.uid() < 0 || f.gid() != null && f.gid() < 0) {
                throw new IllegalArgumentException("the owner of " + f.path() + " is a numeric uid and gid, not negative");
            }
            put(files, f.path(), new NewFile(content, mode, f.uid(), f.gid()));
        }
        return files;
    }

    private static void put(Map<String, NewFile> files, String path, NewFile file) {
        if (files.put(CustomizationPolicy.path(path), file) != null) {
            throw new IllegalArgumentException(path + " is given twice in the customisation");
        }
    }

    /**
     * Writes the customised archive to {@code out}, refusing input beyond {@code limits} while reading (a
     * decompression bomb fails after a few megabytes), and reporting the compressed bytes read so far to
     * {@code progress} (about every megabyte).
     */
    public static Changes customize(InputStream compressed, OutputStream out, Plan plan,
                                    ArchiveInspector.Limits limits, LongConsumer progress) throws IOException {
        var counted = BoundedInputStream.builder().setInputStream(compressed).get();
        try (var gz = GzipCompressorInputStream.builder().setInputStream(reporting(counted, counted::getCount, progress))
                .setDecompressConcatenated(true).get()) {
            Changes changes = run(gz, counted::getCount, null, out, plan, limits);
            progress.accept(counted.getCount());
            return changes;
        }
    }

    /**
     * As {@link #customize(InputStream, OutputStream, Plan, ArchiveInspector.Limits, LongConsumer)}, from a file: where
     * its names are sorted and it is one gzip member with sync points (pigz's blocks, or this worker's), the output
     * ends, once the last change is written, with the input's own compressed bytes from the next sync point on
     * ({@link SpliceableGzipInput}) instead of decompressing and compressing them again; the gzip trailer's CRC
     * follows from the input's ({@link Crc32Math}).
     */
    public static Changes customize(java.nio.file.Path input, OutputStream out, Plan plan,
                                    ArchiveInspector.Limits limits, LongConsumer progress) throws IOException {
        try (var splice = new SpliceableGzipInput(input)) {
            boolean spliceable = plan.sortedNames && plan.tarBytes >= 0
                    && (plan.tarBytes & 0xffffffffL) == splice.trailer()[1];
            Changes changes = run(reporting(splice, splice::consumed, progress), splice::consumed,
                    spliceable ? splice : null, out, plan, limits);
            progress.accept(java.nio.file.Files.size(input));
            return changes;
        }
    }

    private static InputStream reporting(InputStream in, java.util.function.LongSupplier count, LongConsumer progress) {
        long[] reported = {0};
        return new FilterInputStream(in) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (count.getAsLong() - reported[0] >= (1 << 20)) {
                    reported[0] = count.getAsLong();
                    progress.accept(reported[0]);
                }
                return n;
            }
        };
    }

    /** Discards what is written after {@link #detach()}: the tar writer's end records, once the rest is copied. */
    private static final class Detachable extends java.io.FilterOutputStream {
        private boolean detached;

        Detachable(OutputStream out) {
            super(out);
        }

        void detach() {
            detached = true;
        }

        @Override
        public void write(int b) throws IOException {
            if (!detached) {
                out.write(b);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (!detached) {
                out.write(b, off, len);
            }
        }

        @Override
        public void close() throws IOException {
            if (!detached) {
                out.close();
            }
        }
    }

    private static Changes run(InputStream decompressed, java.util.function.LongSupplier compressedSoFar,
                               SpliceableGzipInput splice, OutputStream out, Plan plan,
                               ArchiveInspector.Limits limits) throws IOException {
        // added files in the order GNU tar's --sort=name gives: each is written just before the first entry after it
        TreeMap<String, NewFile> pending = new TreeMap<>(ArchiveCustomizer::compareAsSorted);
        pending.putAll(plan.files);
        if (!plan.wslConf.isEmpty()) {
            pending.put(CustomizationPolicy.WSL_CONF, null);
        }
        boolean distributionPending = plan.defaultName != null;
        List<String> replaced = new ArrayList<>();
        List<String> added = new ArrayList<>();
        Set<String> directories = new HashSet<>(plan.existingParents);
        ParallelGzipOutputStream gz = ReproducibleGzip.parallel(out);
        Detachable tarSink = new Detachable(gz);
        try (var guarded = new ExpansionGuard(decompressed, compressedSoFar, limits);
             var tarIn = new SparseRefusingTarInputStream(guarded);
             // 512-byte blocks: each entry reaches the gzip stream whole when it is closed
             var tarOut = new TarArchiveOutputStream(tarSink, 512, TarNames.ENCODING)) {
            tarOut.setLongFileMode(TarArchiveOutputStream.LONGFILE_GNU);
            tarOut.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            TarArchiveEntry entry;
            while ((entry = tarIn.getNextEntry()) != null) {
                String name = ArchiveInspector.normalise(entry.getName());
                if (entry.getSize() > limits.maxUncompressedBytes()) {
                    throw new InvalidArchiveException(TarNames.display(name) + " declares " + entry.getSize()
                            + " bytes, more than the " + limits.maxUncompressedBytes() + " bytes allowed uncompressed");
                }
                while (!pending.isEmpty() && compareAsSorted(pending.firstKey(), name) < 0) {
                    var next = pending.pollFirstEntry();
                    addFile(tarOut, next.getKey(), contentOf(next.getKey(), next.getValue(), plan, null), directories);
                    added.add(TarNames.display(next.getKey()));
                }
                if (entry.isDirectory()) {
                    directories.add(name);
                }
                boolean regular = entry.isFile() && !entry.isSymbolicLink() && !entry.isLink();
                boolean distribution = plan.defaultName != null && name.equals(CustomizationPolicy.DISTRIBUTION_CONF);
                boolean target = pending.containsKey(name) || distribution;
                if (target && !regular) {
                    // the plan was made on another image than this one (the inspection said otherwise)
                    throw new CustomizationRefusedException(TarNames.display(name) + " is not a regular file in the image");
                }
                if (target) {
                    NewFile replacement;
                    if (distribution) {
                        replacement = new NewFile(TarNames.bytes(setIni(TarNames.of(tarIn.readAllBytes()),
                                Map.of("oobe.defaultName", TarNames.ofUnicode(plan.defaultName)))), null, null, null);
                        distributionPending = false;
                    } else {
                        replacement = contentOf(name, pending.remove(name), plan, tarIn);
                    }
                    // a new header with the old one's metadata: the input stream still needs the original size
                    TarArchiveEntry copy = new TarArchiveEntry(entry.getName(), true);
                    copy.setMode(replacement.mode() != null ? 0100000 | replacement.mode() : entry.getMode());
                    copy.setUserId(replacement.uid() != null ? replacement.uid() : entry.getLongUserId());
                    copy.setGroupId(replacement.gid() != null ? replacement.gid() : entry.getLongGroupId());
                    copy.setUserName(replacement.uid() != null ? "" : entry.getUserName());
                    copy.setGroupName(replacement.gid() != null ? "" : entry.getGroupName());
                    copy.setModTime(entry.getLastModifiedTime());
                    copy.setSize(replacement.content().length);
                    tarOut.putArchiveEntry(copy);
                    tarOut.write(replacement.content());
                    tarOut.closeArchiveEntry();
                    replaced.add(TarNames.display(name));
                } else {
                    tarOut.putArchiveEntry(entry);
                    if (regular) {
                        tarIn.transferTo(tarOut);
                    }
                    tarOut.closeArchiveEntry();
                }
                if (splice != null && pending.isEmpty() && !distributionPending) {
                    // the names are sorted, so nothing after this entry changes: the rest is the input's
                    copyTheRest(guarded, splice, gz, tarSink, plan);
                    return new Changes(replaced, added);
                }
            }
            for (var next : pending.entrySet()) {
                addFile(tarOut, next.getKey(), contentOf(next.getKey(), next.getValue(), plan, null), directories);
                added.add(TarNames.display(next.getKey()));
            }
            tarOut.finish();
            gz.close();
            return new Changes(replaced, added);
        }
    }

    /**
     * After the last change: the input's tar bytes from the next record on are the output's; they are copied
     * uncompressed up to 32 KiB past that point and on to the input's next sync point, then its compressed bytes from
     * there to the end of its deflate stream are written as they are.
     */
    private static void copyTheRest(ExpansionGuard guarded, SpliceableGzipInput splice, ParallelGzipOutputStream gz,
                                    Detachable tarSink, Plan plan) throws IOException {
        tarSink.detach();
        long read = guarded.uncompressed();
        long nextRecord = (read + 511) / 512 * 512;
        guarded.readNBytes((int) (nextRecord - read));
        splice.spliceFrom(nextRecord + 32 * 1024);
        byte[] buf = new byte[64 * 1024];
        for (int n; (n = guarded.read(buf)) > 0; ) {
            gz.write(buf, 0, n);
        }
        if (!splice.atSyncPoint()) {
            // no sync point after the last change: everything was copied, end-of-archive records included
            gz.close();
            return;
        }
        long tailLength = plan.tarBytes - splice.produced();
        long tailCrc = Crc32Math.suffix(splice.trailer()[0], splice.crc(), tailLength);
        gz.finishWithTail(o -> splice.copyCompressedTail(o, at -> { }), tailCrc, tailLength);
    }

    /** The new content of {@code path}: the file given, or wsl.conf with the settings (from {@code current} if any). */
    private static NewFile contentOf(String path, NewFile given, Plan plan, InputStream current) throws IOException {
        if (given != null) {
            return given;
        }
        if (path.equals(CustomizationPolicy.WSL_CONF)) {
            Map<String, String> settings = new TreeMap<>();
            plan.wslConf.forEach((k, v) -> settings.put(TarNames.ofUnicode(k), TarNames.ofUnicode(v)));
            String text = current == null ? "" : TarNames.of(current.readAllBytes());
            return new NewFile(TarNames.bytes(setIni(text, settings)), null, null, null);
        }
        throw new IllegalStateException("nothing to write at " + TarNames.display(path));
    }

    private static void addFile(TarArchiveOutputStream tar, String path, NewFile file, Set<String> directories)
            throws IOException {
        addParents(tar, path, directories);
        TarArchiveEntry e = new TarArchiveEntry("." + path, true);
        e.setMode(0100000 | (file.mode() != null ? file.mode() : 0644));
        e.setSize(file.content().length);
        e.setModTime(FileTime.fromMillis(1000));
        e.setUserId(file.uid() != null ? file.uid() : 0);
        e.setGroupId(file.gid() != null ? file.gid() : 0);
        tar.putArchiveEntry(e);
        tar.write(file.content());
        tar.closeArchiveEntry();
    }

    /**
     * GNU tar's {@code --sort=name} order of whole paths: depth first, each directory's names in byte order (so
     * {@code a/b} comes before {@code a-b}, and a directory before what is in it).
     */
    static int compareAsSorted(String a, String b) {
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            char x = a.charAt(i) == '/' ? 0 : a.charAt(i);
            char y = b.charAt(i) == '/' ? 0 : b.charAt(i);
            if (x != y) {
                return x - y;
            }
        }
        return a.length() - b.length();
    }

    private static void addParents(TarArchiveOutputStream tar, String path, Set<String> directories) throws IOException {
        List<String> missing = new ArrayList<>();
        for (String dir = parent(path); dir != null && !dir.equals("/") && !directories.contains(dir); dir = parent(dir)) {
            missing.add(0, dir);
        }
        for (String dir : missing) {
            TarArchiveEntry e = new TarArchiveEntry("." + dir + "/", true);
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
