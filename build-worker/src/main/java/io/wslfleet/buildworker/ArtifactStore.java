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

import io.wslfleet.protocol.Json;
import io.wslfleet.protocol.release.ReleaseManifest;
import io.wslfleet.protocol.release.SignedManifest;

/**
 * Artifacts on a directory, content-addressed: {@code <root>/<sha256>/nixos.wsl} with {@code manifest.json} and
 * {@code manifest.sig} next to it, and {@code <root>/releases/<releaseId>/} holding the signed manifest each release
 * id was published with. Everything is written under {@code <root>/.tmp/} first, forced to disk and moved
 * into place atomically, so a final name never holds half a file.
 */
public final class ArtifactStore {

    public static final String ARTIFACT = "nixos.wsl";
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    /** Release ids and versions: letters, digits, {@code . _ + -}; no path separators, no {@code ..} tricks. */
    public static final Pattern RELEASE_ID = Pattern.compile("[0-9A-Za-z][0-9A-Za-z._+-]{0,127}");

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
        // the release index last: once it names this release, the artifact and its manifest are in place
        Path release = releaseDir(releaseIdOf(manifest));
        Files.createDirectories(release);
        writeAtomically(release.resolve("manifest.json"), manifest.manifestJson().getBytes(StandardCharsets.UTF_8));
        writeAtomically(release.resolve("manifest.sig"),
                (manifest.keyId() + " " + manifest.signature() + "\n").getBytes(StandardCharsets.UTF_8));
        // the renames are durable only once the directories holding them are on disk
        forceDirectory(dir);
        forceDirectory(release);
        forceDirectory(release.getParent());
        forceDirectory(root);
        return target;
    }

    /**
     * The signed manifest a release id was committed with, if any: a release id, once published, always means the
     * same bytes.
     */
    public Optional<SignedManifest> release(String releaseId) throws IOException {
        Path dir = releaseDir(releaseId);
        Path json = dir.resolve("manifest.json");
        Path sig = dir.resolve("manifest.sig");
        if (!Files.isRegularFile(json) || !Files.isRegularFile(sig)) {
            return Optional.empty();
        }
        String[] keyAndSignature = Files.readString(sig).trim().split("\\s+", 2);
        if (keyAndSignature.length != 2) {
            throw new IOException("unreadable signature file " + sig);
        }
        return Optional.of(new SignedManifest(Files.readString(json), keyAndSignature[1], keyAndSignature[0]));
    }

    /** The manifest as signed. */
    public static ReleaseManifest manifestOf(SignedManifest signed) throws IOException {
        return Json.MAPPER.readValue(signed.manifestJson(), ReleaseManifest.class);
    }

    private static String releaseIdOf(SignedManifest signed) throws IOException {
        return manifestOf(signed).releaseId();
    }

    private Path releaseDir(String releaseId) {
        if (!RELEASE_ID.matcher(releaseId).matches()) {
            throw new IllegalArgumentException("not a release id usable as a file name: " + releaseId);
        }
        return root.resolve("releases").resolve(releaseId);
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
