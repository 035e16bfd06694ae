package io.wslfleet.buildworker;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.LongConsumer;
import java.util.stream.Stream;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Packs a root directory into a {@code nixos.wsl} the way NixOS-WSL's tarball builder does
 * ({@code tar -C root -c --sort=name --mtime=@1 --numeric-owner --hard-dereference . | gzip}): entry names
 * {@code ./…} in byte order, every mtime 1, numeric owners as on disk, no user or group names, hard links stored as
 * regular files, symlinks kept as symlinks. The gzip header carries no name and no time, so the same tree always
 * gives the same bytes.
 */
public final class RootPacker {

    private RootPacker() {
    }

    /** Writes the archive of {@code root} to {@code out} (not closed). */
    public static void pack(Path root, OutputStream out, LongConsumer progress) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IOException("not a directory: " + root);
        }
        var gz = ReproducibleGzip.over(out);
        try (var tar = new TarArchiveOutputStream(gz, "UTF-8")) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            long done = 0;
            for (Path path : sortedTree(root)) {
                String relative = root.relativize(path).toString();
                String name = relative.isEmpty() ? "./" : "./" + relative;
                TarArchiveEntry entry;
                boolean regular = false;
                if (Files.isSymbolicLink(path)) {
                    entry = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
                    entry.setLinkName(Files.readSymbolicLink(path).toString());
                    entry.setMode(0120777);
                } else if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                    entry = new TarArchiveEntry(name.endsWith("/") ? name : name + "/");
                    entry.setMode(040000 | mode(path));
                } else if (Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
                    entry = new TarArchiveEntry(name);
                    entry.setMode(0100000 | mode(path));
                    entry.setSize(Files.size(path));
                    regular = true;
                } else {
                    throw new IOException("cannot pack special file " + path + " (devices and sockets have no place in a NixOS-WSL root)");
                }
                entry.setModTime(FileTime.fromMillis(1000));
                entry.setUserId(owner(path, "unix:uid"));
                entry.setGroupId(owner(path, "unix:gid"));
                entry.setUserName("");
                entry.setGroupName("");
                tar.putArchiveEntry(entry);
                if (regular) {
                    try (InputStream in = Files.newInputStream(path)) {
                        done += in.transferTo(tar);
                    }
                    progress.accept(done);
                }
                tar.closeArchiveEntry();
            }
            tar.finish();
        }
    }

    /** Total bytes of regular files under {@code root}, for progress reporting. */
    public static long contentSize(Path root) throws IOException {
        long total = 0;
        for (Path p : sortedTree(root)) {
            if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                total += Files.size(p);
            }
        }
        return total;
    }

    /** Depth first, each directory's entries in byte order of their names: the order of GNU tar's --sort=name. */
    private static List<Path> sortedTree(Path root) throws IOException {
        List<Path> all = new ArrayList<>();
        all.add(root);
        addChildren(root, all);
        return all;
    }

    private static void addChildren(Path dir, List<Path> into) throws IOException {
        List<Path> children;
        try (Stream<Path> list = Files.list(dir)) {
            children = new ArrayList<>(list.toList());
        }
        children.sort(Comparator.comparing(p -> p.getFileName().toString().getBytes(StandardCharsets.UTF_8),
                Arrays::compareUnsigned));
        for (Path child : children) {
            into.add(child);
            if (Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS)) {
                addChildren(child, into);
            }
        }
    }

    private static int mode(Path path) throws IOException {
        return ((Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS)) & 07777;
    }

    private static long owner(Path path, String attribute) throws IOException {
        return ((Number) Files.getAttribute(path, attribute, LinkOption.NOFOLLOW_LINKS)).longValue();
    }
}
