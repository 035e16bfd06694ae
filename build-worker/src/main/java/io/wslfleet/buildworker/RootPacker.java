package io.wslfleet.buildworker;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;
import java.util.stream.Stream;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Packs a root directory into a {@code nixos.wsl} the way NixOS-WSL's tarball builder does
 * ({@code tar -C root -c --sort=name --mtime=@1 --numeric-owner --hard-dereference . | pigz}): entry names
 * {@code ./…} in byte order, exactly the bytes the file system holds ({@link TarNames}: raw in the header, GNU
 * long-name records past 100 bytes, as GNU tar writes them), every mtime 1, numeric owners as on disk, no user or
 * group names, hard links stored as regular files, symlinks kept as symlinks. The gzip header carries no name and no
 * time, so the same tree always gives the same bytes.
 *
 * <p>It refuses, before writing anything, what {@link ArchiveInspector} would refuse in the archive: special files
 * (FIFOs, sockets, devices) by name, names it cannot read as bytes, more entries or bytes than the limits, and a
 * root that is not a NixOS-WSL root ({@link NixosWslRoot}); while compressing, an archive that would expand more
 * than the limit's ratio ({@link ExpansionGuard#check}, block by block), as soon as it does.
 */
public final class RootPacker {

    private RootPacker() {
    }

    /** One path to pack, with its name in the archive (a byte string, {@code ./…}). */
    private record Item(Path path, String name, boolean directory, boolean symlink, boolean regular, long size) {
    }

    /** Writes the archive of {@code root} to {@code out} (not closed), refusing what {@code inspect} would refuse. */
    public static void pack(Path root, OutputStream out, LongConsumer progress) throws IOException {
        pack(root, out, ArchiveInspector.Limits.DEFAULT, progress);
    }

    public static void pack(Path root, OutputStream out, ArchiveInspector.Limits limits, LongConsumer progress)
            throws IOException {
        List<Item> items = check(root, limits);
        var gz = ReproducibleGzip.over(out, (uncompressed, compressed) -> ExpansionGuard.check(uncompressed, compressed, limits));
        try (var tar = new TarArchiveOutputStream(gz, TarNames.ENCODING)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_GNU);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            long done = 0;
            for (Item item : items) {
                Path path = item.path();
                TarArchiveEntry entry;
                if (item.symlink()) {
                    entry = new TarArchiveEntry(item.name(), TarConstants.LF_SYMLINK, true);
                    entry.setLinkName(TarNames.of(Files.readSymbolicLink(path)));
                    entry.setMode(0120777);
                } else if (item.directory()) {
                    entry = new TarArchiveEntry(item.name().endsWith("/") ? item.name() : item.name() + "/", true);
                    entry.setMode(040000 | mode(path));
                } else {
                    entry = new TarArchiveEntry(item.name(), true);
                    entry.setMode(0100000 | mode(path));
                    entry.setSize(item.size());
                }
                entry.setModTime(FileTime.fromMillis(1000));
                entry.setUserId(owner(path, "unix:uid"));
                entry.setGroupId(owner(path, "unix:gid"));
                entry.setUserName("");
                entry.setGroupName("");
                tar.putArchiveEntry(entry);
                if (item.regular()) {
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
        for (Item item : sortedTree(root)) {
            total += item.regular() ? item.size() : 0;
        }
        return total;
    }

    /**
     * Everything {@link ArchiveInspector} would refuse in the archive of {@code root} that can be known from the
     * tree: refused here, with the same message, before anything is written.
     */
    static List<Item> check(Path root, ArchiveInspector.Limits limits) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IOException("not a directory: " + root);
        }
        List<Item> items = sortedTree(root);
        if (items.size() > limits.maxEntries()) {
            throw new InvalidArchiveException("more than " + limits.maxEntries() + " entries");
        }
        long bytes = 0;
        for (Item item : items) {
            bytes += 512 + (item.size() + 511) / 512 * 512;
        }
        if (bytes > limits.maxUncompressedBytes()) {
            throw new InvalidArchiveException("more than " + limits.maxUncompressedBytes()
                    + " bytes uncompressed (limit); refusing the archive");
        }
        Path conf = root.resolve("etc/wsl-distribution.conf");
        if (!Files.isRegularFile(conf, LinkOption.NOFOLLOW_LINKS)) {
            throw new InvalidArchiveException("not a NixOS-WSL root: /etc/wsl-distribution.conf is missing");
        }
        if (Files.size(conf) > 1 << 20) {
            throw new InvalidArchiveException("/etc/wsl-distribution.conf is larger than 1 MiB");
        }
        NixosWslRoot.check(new NixosWslRoot.Image() {
            private Path at(String path) {
                return root.resolve(path.substring(1));
            }

            @Override
            public String symlinkTarget(String path) {
                try {
                    return Files.isSymbolicLink(at(path)) ? TarNames.of(Files.readSymbolicLink(at(path))) : null;
                } catch (IOException e) {
                    return null;
                }
            }

            @Override
            public boolean exists(String path) {
                return Files.exists(at(path), LinkOption.NOFOLLOW_LINKS);
            }

            @Override
            public boolean isDirectory(String path) {
                return Files.isDirectory(at(path), LinkOption.NOFOLLOW_LINKS);
            }

            @Override
            public boolean isRegularFile(String path) {
                return Files.isRegularFile(at(path), LinkOption.NOFOLLOW_LINKS);
            }
        }, Files.readString(conf, StandardCharsets.UTF_8));
        return items;
    }

    /**
     * Depth first, each directory's entries in byte order of their names: the order of GNU tar's --sort=name. A
     * special file is refused by name.
     */
    private static List<Item> sortedTree(Path root) throws IOException {
        List<Item> all = new ArrayList<>();
        all.add(new Item(root, "./", true, false, false, 0));
        addChildren(root, "./", all);
        return all;
    }

    private static void addChildren(Path dir, String prefix, List<Item> into) throws IOException {
        List<Path> children;
        try (Stream<Path> list = Files.list(dir)) {
            children = new ArrayList<>(list.toList());
        }
        List<Map.Entry<String, Path>> named = new ArrayList<>(children.size());
        for (Path child : children) {
            named.add(Map.entry(TarNames.of(child.getFileName()), child));
        }
        named.sort(Map.Entry.comparingByKey());
        for (Map.Entry<String, Path> child : named) {
            Path path = child.getValue();
            String name = prefix + child.getKey();
            BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (attributes.isOther()) {
                throw new InvalidArchiveException("special file " + TarNames.display(name.substring(1)) + " (a FIFO,"
                        + " socket or device): those have no place in a NixOS-WSL root; remove it and pack again");
            }
            into.add(new Item(path, name, attributes.isDirectory(), attributes.isSymbolicLink(),
                    attributes.isRegularFile(), attributes.isRegularFile() ? attributes.size() : 0));
            if (attributes.isDirectory()) {
                addChildren(path, name + "/", into);
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
