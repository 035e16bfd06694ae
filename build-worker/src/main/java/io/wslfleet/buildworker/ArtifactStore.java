package io.wslfleet.buildworker;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;

import io.wslfleet.protocol.release.SignedManifest;

/**
 * Artifacts on a directory, content-addressed: {@code <root>/<sha256>/nixos.wsl} with {@code manifest.json} and
 * {@code manifest.sig} next to it. Everything is written under {@code <root>/.tmp/} first, forced to disk and moved
 * into place atomically, so a final name never holds half a file.
 */
public final class ArtifactStore {

    public static final String ARTIFACT = "nixos.wsl";
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    private final Path root;

    public ArtifactStore(Path root) throws IOException {
        this.root = root;
        Files.createDirectories(root.resolve(".tmp"));
    }

    /** A file being written: the digest is computed while bytes go to disk. */
    public final class Staged implements AutoCloseable {
        private final Path temp;
        private final MessageDigest digest;
        private final OutputStream out;
        private long size;

        private Staged() throws IOException {
            temp = Files.createTempFile(root.resolve(".tmp"), "artifact-", ".partial");
            digest = sha256();
            out = new DigestOutputStream(Files.newOutputStream(temp), digest) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    super.write(b, off, len);
                    size += len;
                }

                @Override
                public void write(int b) throws IOException {
                    super.write(b);
                    size++;
                }
            };
        }

        public OutputStream stream() {
            return out;
        }

        public Path tempFile() {
            return temp;
        }

        /** Closes the stream and returns the sha256 of what was written. */
        public String finish() throws IOException {
            out.close();
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            return HexFormat.of().formatHex(digest.digest());
        }

        public long size() {
            return size;
        }

        /** Drops the temporary file (after a failure, or when the artifact is refused). */
        @Override
        public void close() throws IOException {
            out.close();
            Files.deleteIfExists(temp);
        }
    }

    public Staged stage() throws IOException {
        return new Staged();
    }

    /** Moves a finished, checked artifact and its signed manifest to their final names. */
    public Path commit(Staged staged, String sha256, SignedManifest manifest) throws IOException {
        Path dir = root.resolve(sha256);
        Files.createDirectories(dir);
        writeAtomically(dir.resolve("manifest.json"), manifest.manifestJson().getBytes(StandardCharsets.UTF_8));
        writeAtomically(dir.resolve("manifest.sig"),
                (manifest.keyId() + " " + manifest.signature() + "\n").getBytes(StandardCharsets.UTF_8));
        Path target = dir.resolve(ARTIFACT);
        move(staged.tempFile(), target);
        // the renames are durable only once the directories holding them are on disk
        forceDirectory(dir);
        forceDirectory(root);
        return target;
    }

    public Optional<Path> artifact(String sha256) {
        if (!SHA256.matcher(sha256).matches()) {
            return Optional.empty();
        }
        Path p = root.resolve(sha256).resolve(ARTIFACT);
        return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
    }

    public Path root() {
        return root;
    }

    private void writeAtomically(Path target, byte[] content) throws IOException {
        Path temp = Files.createTempFile(root.resolve(".tmp"), "meta-", ".partial");
        try {
            Files.write(temp, content);
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            move(temp, target);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // not every platform can open a directory (Windows cannot): the rename itself is still atomic
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the artifact store needs a file system with atomic rename: " + to, e);
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
