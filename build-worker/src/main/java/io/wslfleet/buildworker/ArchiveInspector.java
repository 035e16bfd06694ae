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
 * absolute names or names with {@code ..}, hard links, sparse files ({@link SparseRefusingTarInputStream}), more
 * entries / bytes / expansion than the {@link Limits} (checked while reading, so a decompression bomb is stopped
 * early), and anything that is not a NixOS-WSL root: {@code /etc/wsl-distribution.conf} must parse,
 * {@code /nix/var/nix/profiles/system} must lead through {@code system-N-link} to a
 * {@code /nix/store/…-nixos-system-<host>-<version>} present in the archive, and {@code /bin/nixos-wsl-recovery} must
 * be a regular file.
 */
public final class ArchiveInspector {

    private static final Pattern SYSTEM_LINK = Pattern.compile("system-(\\d+)-link");
    private static final Pattern SYSTEM_PATH = Pattern.compile("/nix/store/[0-9a-z]{32}-nixos-system-(.+?)-(\\d+\\.\\d+[^/]*)");

    /** Limits that no real NixOS-WSL image comes near. */
    public record Limits(long maxEntries, long maxUncompressedBytes, long maxExpansionRatio) {
        public static final Limits DEFAULT = new Limits(2_000_000, 64L << 30, 200);
    }

    private ArchiveInspector() {
    }

    public static NixosMetadata inspect(InputStream compressed, Limits limits) throws IOException, InvalidArchiveException {
        var counted = BoundedInputStream.builder().setInputStream(compressed).get();
        BufferedInputStream buffered = new BufferedInputStream(counted);
        buffered.mark(2);
        int b1 = buffered.read();
        int b2 = buffered.read();
        buffered.reset();
        if (b1 != 0x1f || b2 != 0x8b) {
            throw new InvalidArchiveException("not a gzip file (a nixos.wsl is a gzip-compressed tar)");
        }
        Map<String, String> symlinks = new HashMap<>();
        Set<String> regular = new HashSet<>();
        Set<String> directories = new HashSet<>();
        String distributionConf = null;
        String nixosWslVersion = null;
        long entries = 0;
        long uncompressed = 0;
        try (var gz = GzipCompressorInputStream.builder().setInputStream(buffered).setDecompressConcatenated(true).get();
             var tar = new SparseRefusingTarInputStream(new ExpansionGuard(gz, counted::getCount, limits))) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                entries++;
                if (entries > limits.maxEntries()) {
                    throw new InvalidArchiveException("more than " + limits.maxEntries() + " entries");
                }
                String name = normalise(entry.getName());
                if (entry.getSize() > limits.maxUncompressedBytes()) {
                    throw new InvalidArchiveException(name + " declares " + entry.getSize() + " bytes, more than the "
                            + limits.maxUncompressedBytes() + " bytes allowed uncompressed");
                }
                if (entry.isLink()) {
                    throw new InvalidArchiveException("hard link " + name + " -> " + entry.getLinkName()
                            + ": nixos.wsl stores hard links dereferenced");
                }
                if (entry.isSymbolicLink()) {
                    symlinks.put(name, entry.getLinkName());
                } else if (entry.isDirectory()) {
                    directories.add(name);
                } else if (entry.isFile()) {
                    regular.add(name);
                    if (name.equals("/etc/wsl-distribution.conf")) {
                        distributionConf = readSmall(tar, name);
                        uncompressed += distributionConf.getBytes(StandardCharsets.UTF_8).length;
                    } else if (name.endsWith("/share/nixos-wsl/version") || name.endsWith("/nixos-wsl-version.txt")) {
                        String text = readSmall(tar, name);
                        uncompressed += text.getBytes(StandardCharsets.UTF_8).length;
                        nixosWslVersion = text.trim();
                    } else {
                        uncompressed += skip(tar);
                    }
                }
            }
        } catch (java.io.EOFException e) {
            throw new InvalidArchiveException("truncated archive: " + e.getMessage());
        } catch (IOException e) {
            if (e instanceof InvalidArchiveException) {
                throw e;
            }
            throw new InvalidArchiveException("corrupt archive: " + e.getMessage());
        }
        if (distributionConf == null) {
            throw new InvalidArchiveException("not a NixOS-WSL root: /etc/wsl-distribution.conf is missing");
        }
        checkDistributionConf(distributionConf);
        if (!regular.contains("/bin/nixos-wsl-recovery")) {
            throw new InvalidArchiveException("not a NixOS-WSL root: /bin/nixos-wsl-recovery is not a regular file");
        }
        String profile = symlinks.get("/nix/var/nix/profiles/system");
        if (profile == null) {
            throw new InvalidArchiveException("not a NixOS root: /nix/var/nix/profiles/system is not a symlink");
        }
        String linkName = profile.contains("/") ? profile.substring(profile.lastIndexOf('/') + 1) : profile;
        Matcher generation = SYSTEM_LINK.matcher(linkName);
        if (!generation.matches()) {
            throw new InvalidArchiveException("/nix/var/nix/profiles/system points at " + profile + ", not system-N-link");
        }
        String systemPath = symlinks.get("/nix/var/nix/profiles/" + linkName);
        if (systemPath == null) {
            throw new InvalidArchiveException("/nix/var/nix/profiles/" + linkName + " is missing");
        }
        Matcher system = SYSTEM_PATH.matcher(systemPath);
        if (!system.matches()) {
            throw new InvalidArchiveException(linkName + " points at " + systemPath
                    + ", not a /nix/store/…-nixos-system-<host>-<version> path");
        }
        if (!directories.contains(systemPath)) {
            throw new InvalidArchiveException("the system " + systemPath + " is not in the archive");
        }
        return new NixosMetadata(system.group(2), system.group(1), systemPath, Integer.parseInt(generation.group(1)),
                nixosWslVersion, uncompressed, entries);
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
        return out.toString(StandardCharsets.UTF_8);
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
