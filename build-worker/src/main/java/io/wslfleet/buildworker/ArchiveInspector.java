package io.wslfleet.buildworker;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.wslfleet.protocol.events.NixosMetadata;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.io.input.BoundedInputStream;

/**
 * Reads a {@code nixos.wsl} once, as a stream, and either refuses it with a {@link InvalidArchiveException} naming
 * what is wrong, or returns its {@link NixosMetadata}. Refused: anything but gzip, a truncated or corrupt stream,
 * absolute names or names with {@code ..}, two entries of one name, an entry whose path passes through a symlink of
 * the archive (whichever comes first), hard links, sparse files ({@link SparseRefusingTarInputStream}), more
 * entries / bytes / expansion than the {@link Limits} (checked while reading, so a decompression bomb is stopped
 * early), and anything that is not a NixOS-WSL root ({@link NixosWslRoot}). Names are compared as the bytes they are
 * ({@link TarNames}). The NixOS-WSL version is the one the system's {@code nixos-wsl-version} script prints.
 */
public final class ArchiveInspector {

    private static final Pattern STORE_PATH = Pattern.compile("/nix/store/[^/]+");
    /** NixOS-WSL's {@code nixos-wsl-version} script ({@code modules/version.nix}): {@code echo NixOS-WSL <release> <rev>}. */
    private static final Pattern VERSION_SCRIPT = Pattern.compile("/nix/store/[0-9a-z]{32}-nixos-wsl-version/bin/nixos-wsl-version");
    private static final Pattern VERSION_LINE = Pattern.compile("echo NixOS-WSL ([0-9][0-9A-Za-z.+_-]*)");
    /** The etc derivation {@code /etc/static} points at: what NixOS links into {@code /etc} at every activation. */
    private static final Pattern ETC_DERIVATION = Pattern.compile("(/nix/store/[0-9a-z]{32}-etc/etc)/(.+)");

    /** Limits that no real NixOS-WSL image comes near. */
    public record Limits(long maxEntries, long maxUncompressedBytes, long maxExpansionRatio) {
        public static final Limits DEFAULT = new Limits(2_000_000, 64L << 30, 200);
    }

    /** What an entry is, for the paths a caller watches. */
    public enum Kind { FILE, DIRECTORY, SYMLINK, OTHER }

    /**
     * What inspection learnt: the metadata, and for deciding what a customisation may touch, the kind of each
     * watched path and of its parents (byte strings, {@link TarNames}), the target of each of those that is a
     * symlink, and the names under {@code /etc} that NixOS puts back at every activation (links of the etc
     * derivation {@code /etc/static} points at, and the copied files {@code /etc/.clean} lists).
     */
    public record Inspection(NixosMetadata metadata, Map<String, Kind> kinds, Map<String, String> symlinkTargets,
                             Set<String> etcManaged, boolean sortedNames, long tarBytes) {
        /** For tests of the stream alone: nothing known about the image. */
        static Inspection nothingKnown() {
            return new Inspection(null, Map.of(), Map.of(), Set.of(), false, -1);
        }
    }

    private ArchiveInspector() {
    }

    public static NixosMetadata inspect(InputStream compressed, Limits limits) throws IOException, InvalidArchiveException {
        return inspect(compressed, limits, Set.of()).metadata();
    }

    /**
     * Validates the archive and returns its metadata, with the kind of every path in {@code watched} (and of its
     * parents) as the archive has them.
     */
    public static Inspection inspect(InputStream compressed, Limits limits, Set<String> watched)
            throws IOException, InvalidArchiveException {
        var counted = BoundedInputStream.builder().setInputStream(compressed).get();
        BufferedInputStream buffered = new BufferedInputStream(counted);
        buffered.mark(2);
        int b1 = buffered.read();
        int b2 = buffered.read();
        buffered.reset();
        if (b1 != 0x1f || b2 != 0x8b) {
            throw new InvalidArchiveException("not a gzip file (a nixos.wsl is a gzip-compressed tar)");
        }
        Set<String> watchedAndParents = new HashSet<>();
        for (String w : watched) {
            for (String p = w; p != null && !p.equals("/"); p = parent(p)) {
                watchedAndParents.add(p);
            }
        }
        NameSet names = new NameSet();
        NameSet parents = new NameSet();
        NameSet symlinkNames = new NameSet();
        Map<String, String> symlinks = new HashMap<>();
        Map<String, Kind> kinds = new HashMap<>();
        Set<String> storeDirectories = new HashSet<>();
        Map<String, Set<String>> etcDerivations = new HashMap<>();
        Map<String, String> versionScripts = new HashMap<>();
        Set<String> regular = new HashSet<>();
        String distributionConf = null;
        String etcClean = null;
        String demoVersion = null;
        long entries = 0;
        long uncompressed = 0;
        long tarBytes;
        boolean sorted = true;
        String previous = null;
        try (var gz = GzipCompressorInputStream.builder().setInputStream(buffered).setDecompressConcatenated(true).get();
             var guarded = new ExpansionGuard(gz, counted::getCount, limits);
             var tar = new SparseRefusingTarInputStream(guarded)) {
            TarArchiveEntry entry;
            while (true) {
                entry = tar.getNextEntry();
                if (entry == null) {
                    // read to the end of the gzip stream, so its CRC and length are checked (a cut-off trailer
                    // is a truncated download), and nothing hides after the end-of-archive records
                    byte[] rest = new byte[64 * 1024];
                    for (int n; (n = guarded.read(rest)) >= 0; ) {
                        for (int i = 0; i < n; i++) {
                            if (rest[i] != 0) {
                                throw new InvalidArchiveException("data after the end of the tar archive");
                            }
                        }
                    }
                    break;
                }
                entries++;
                if (entries > limits.maxEntries()) {
                    throw new InvalidArchiveException("more than " + limits.maxEntries() + " entries");
                }
                String name = normalise(entry.getName());
                String shown = TarNames.display(name);
                if (previous != null && ArchiveCustomizer.compareAsSorted(previous, name) >= 0) {
                    sorted = false;
                }
                previous = name;
                if (entry.getSize() > limits.maxUncompressedBytes()) {
                    throw new InvalidArchiveException(shown + " declares " + entry.getSize() + " bytes, more than the "
                            + limits.maxUncompressedBytes() + " bytes allowed uncompressed");
                }
                if (entry.isLink()) {
                    throw new InvalidArchiveException("hard link " + shown + " -> " + TarNames.display(entry.getLinkName())
                            + ": nixos.wsl stores hard links dereferenced");
                }
                if (!names.add(name)) {
                    throw new InvalidArchiveException("two entries named " + shown + ": which one an extractor keeps"
                            + " depends on the extractor (GNU tar keeps a symlink, others write through it)");
                }
                // every parent once: a parent that is (or later turns out to be) a symlink is refused either way
                for (String p = parent(name); p != null && !p.equals("/") && parents.add(p); p = parent(p)) {
                    if (symlinkNames.contains(p)) {
                        throw throughSymlink(shown, p, symlinks.get(p));
                    }
                }
                Kind kind = entry.isSymbolicLink() ? Kind.SYMLINK : entry.isDirectory() ? Kind.DIRECTORY
                        : entry.isFile() ? Kind.FILE : Kind.OTHER;
                if (watchedAndParents.contains(name)) {
                    kinds.put(name, kind);
                }
                if (kind == Kind.SYMLINK) {
                    if (parents.contains(name)) {
                        throw throughSymlink("an entry under " + shown, name, entry.getLinkName());
                    }
                    symlinkNames.add(name);
                    if (name.startsWith("/nix/var/nix/profiles/") || name.startsWith("/etc/")
                            || name.endsWith("/sw") || name.endsWith("/bin/nixos-wsl-version")
                            || watchedAndParents.contains(name)) {
                        symlinks.put(name, entry.getLinkName());
                    }
                    Matcher etc = ETC_DERIVATION.matcher(name);
                    if (etc.matches()) {
                        etcDerivations.computeIfAbsent(etc.group(1), k -> new HashSet<>()).add("/etc/" + etc.group(2));
                    }
                } else if (kind == Kind.DIRECTORY) {
                    if (STORE_PATH.matcher(name).matches()) {
                        storeDirectories.add(name);
                    }
                } else if (kind == Kind.FILE) {
                    if (name.equals("/bin/nixos-wsl-recovery")) {
                        regular.add(name);
                    }
                    if (name.equals("/etc/wsl-distribution.conf")) {
                        distributionConf = readSmall(tar, shown);
                        uncompressed += distributionConf.length();
                    } else if (name.equals("/etc/.clean")) {
                        etcClean = readSmall(tar, shown);
                        uncompressed += etcClean.length();
                    } else if (VERSION_SCRIPT.matcher(name).matches()) {
                        String text = readSmall(tar, shown);
                        uncompressed += text.length();
                        Matcher v = VERSION_LINE.matcher(text);
                        if (v.find()) {
                            versionScripts.put(name, v.group(1));
                        }
                    } else if (name.endsWith("/share/nixos-wsl/version")) {
                        String text = readSmall(tar, shown);
                        uncompressed += text.length();
                        demoVersion = text.trim();
                    } else {
                        uncompressed += skip(tar);
                    }
                }
            }
            tarBytes = guarded.uncompressed();
        } catch (java.io.EOFException e) {
            throw new InvalidArchiveException("truncated archive: it ends inside "
                    + (e.getMessage() == null ? "an entry" : e.getMessage()), e);
        } catch (IOException e) {
            if (e instanceof InvalidArchiveException) {
                throw e;
            }
            String why = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
            throw new InvalidArchiveException((why.toLowerCase(java.util.Locale.ROOT).contains("truncated")
                    ? "truncated archive: " : "corrupt archive: ") + why, e);
        }
        if (distributionConf == null) {
            throw new InvalidArchiveException("not a NixOS-WSL root: /etc/wsl-distribution.conf is missing");
        }
        NixosWslRoot.Image image = new NixosWslRoot.Image() {
            @Override
            public String symlinkTarget(String path) {
                return symlinks.get(path);
            }

            @Override
            public boolean exists(String path) {
                return names.contains(path);
            }

            @Override
            public boolean isDirectory(String path) {
                return storeDirectories.contains(path);
            }

            @Override
            public boolean isRegularFile(String path) {
                return regular.contains(path);
            }
        };
        NixosWslRoot root = NixosWslRoot.check(image, new String(TarNames.bytes(distributionConf), StandardCharsets.UTF_8));
        String nixosWslVersion = nixosWslVersion(root.systemPath(), symlinks, versionScripts);
        if (nixosWslVersion == null) {
            nixosWslVersion = demoVersion;
        }
        Set<String> etcManaged = new HashSet<>();
        String etcStatic = symlinks.get("/etc/static");
        if (etcStatic != null && etcDerivations.containsKey(etcStatic)) {
            etcManaged.addAll(etcDerivations.get(etcStatic));
        }
        if (etcClean != null) {
            etcClean.lines().filter(l -> !l.isBlank()).forEach(l -> etcManaged.add("/etc/" + l.trim()));
        }
        Map<String, String> watchedTargets = new HashMap<>();
        kinds.forEach((path, kind) -> {
            if (kind == Kind.SYMLINK) {
                watchedTargets.put(path, symlinks.get(path));
            }
        });
        return new Inspection(new NixosMetadata(root.nixosVersion(), root.hostName(), root.systemPath(),
                root.generation(), nixosWslVersion, uncompressed, entries), kinds, watchedTargets, etcManaged, sorted,
                tarBytes);
    }

    /**
     * The version {@code nixos-wsl-version} of the system prints: the script its {@code sw/bin} links to, or the
     * only such script in the archive.
     */
    private static String nixosWslVersion(String systemPath, Map<String, String> symlinks, Map<String, String> scripts) {
        String sw = symlinks.get(systemPath + "/sw");
        if (sw != null) {
            String script = symlinks.get(sw + "/bin/nixos-wsl-version");
            if (script != null && scripts.containsKey(script)) {
                return scripts.get(script);
            }
        }
        Set<String> versions = new HashSet<>(scripts.values());
        return versions.size() == 1 ? versions.iterator().next() : null;
    }

    private static InvalidArchiveException throughSymlink(String entry, String link, String target) {
        return new InvalidArchiveException(entry + " passes through the symlink " + TarNames.display(link)
                + (target == null ? "" : " -> " + TarNames.display(target))
                + ": an extractor that follows it writes outside the root");
    }

    static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? null : slash == 0 ? (path.length() > 1 ? "/" : null) : path.substring(0, slash);
    }

    /**
     * {@code /etc/wsl-distribution.conf} is an INI file WSL reads at install: every line blank, a comment, a
     * {@code [section]} or {@code key = value}, with an {@code [oobe]} section.
     */
    static void checkDistributionConf(String text) throws InvalidArchiveException {
        boolean oobe = false;
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String t = lines[i].trim();
            if (t.isEmpty() || t.startsWith("#") || t.startsWith(";")) {
                continue;
            }
            if (t.startsWith("[") && t.endsWith("]") && t.length() > 2) {
                oobe |= t.substring(1, t.length() - 1).trim().equals("oobe");
            } else if (t.indexOf('=') <= 0) {
                throw new InvalidArchiveException("/etc/wsl-distribution.conf does not parse: line " + (i + 1)
                        + " is neither [section] nor key = value: " + t);
            }
        }
        if (!oobe) {
            throw new InvalidArchiveException("/etc/wsl-distribution.conf has no [oobe] section");
        }
    }

    /** {@code ./etc/x} and {@code etc/x} both become {@code /etc/x}; absolute names and {@code ..} are refused. */
    static String normalise(String raw) throws InvalidArchiveException {
        if (raw.startsWith("/")) {
            throw new InvalidArchiveException("absolute entry name " + raw);
        }
        String name = raw.startsWith("./") ? raw.substring(1) : "/" + raw;
        for (String part : name.split("/")) {
            if (part.equals("..")) {
                throw new InvalidArchiveException("entry name with .. : " + raw);
            }
        }
        while (name.length() > 1 && name.endsWith("/")) {
            name = name.substring(0, name.length() - 1);
        }
        return name.equals(".") ? "/" : name;
    }

    private static String readSmall(InputStream in, String name) throws IOException, InvalidArchiveException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        int n;
        while ((n = in.read(buf)) > 0) {
            out.write(buf, 0, n);
            if (out.size() > 1 << 20) {
                throw new InvalidArchiveException(name + " is larger than 1 MiB");
            }
        }
        return TarNames.of(out.toByteArray(), 0, out.size());
    }

    private static long skip(InputStream in) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        int n;
        while ((n = in.read(buf)) > 0) {
            total += n;
        }
        return total;
    }
}
