package io.wslfleet.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.AclEntry;
import java.nio.file.attribute.AclEntryPermission;
import java.nio.file.attribute.AclEntryType;
import java.nio.file.attribute.AclFileAttributeView;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.interfaces.EdECPrivateKey;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;

import io.wslfleet.protocol.release.Ed25519;
import io.wslfleet.protocol.trust.Signer;
import io.wslfleet.protocol.trust.TrustedKeys;

/**
 * The agent's own Ed25519 key pair, made at its first start: the private key in {@code <state>/identity.key} (base64
 * PKCS#8, readable by its owner only: POSIX 0600, or on Windows an ACL with one entry for the owner), the public half
 * in {@code identity.pub} (base64 X.509; also the sign that a key was made, so that a lost key is an error and not a
 * silent new identity). The key is kept across restarts; a new one comes only with a fresh state directory, which
 * also starts a new epoch, and must be enrolled again.
 */
final class AgentIdentity {

    private static final Logger LOG = Logger.getLogger(AgentIdentity.class.getName());
    static final String KEY_FILE = "identity.key";
    static final String PUBLIC_FILE = "identity.pub";

    private final KeyPair pair;

    private AgentIdentity(KeyPair pair) {
        this.pair = pair;
    }

    /** The identity kept in {@code stateDir}, made there when the state has none yet. */
    static AgentIdentity loadOrCreate(Path stateDir) {
        Path keyFile = stateDir.resolve(KEY_FILE);
        Path publicFile = stateDir.resolve(PUBLIC_FILE);
        try {
            Files.createDirectories(stateDir);
        } catch (IOException e) {
            throw new IllegalStateException("cannot use the agent state directory " + stateDir + ": " + e, e);
        }
        if (Files.exists(keyFile)) {
            return new AgentIdentity(load(keyFile, publicFile));
        }
        if (Files.exists(publicFile)) {
            throw new IllegalStateException("the agent's identity key " + keyFile + " is missing, but " + publicFile
                    + " says one was made: restore it from a backup, or start with a fresh state directory (a new "
                    + "identity and epoch, which must be enrolled again)");
        }
        return new AgentIdentity(create(keyFile, publicFile));
    }

    KeyPair pair() {
        return pair;
    }

    Signer signer() {
        return Signer.ofPair(pair);
    }

    /** The public key as {@code AgentRegistered.publicKey} carries it: base64 of its X.509 encoding. */
    String publicKey() {
        return Ed25519.encode(pair.getPublic());
    }

    /** The key id the agent signs with, {@code ed25519:<32 hex>}. */
    String keyId() {
        return TrustedKeys.fingerprint(pair.getPublic());
    }

    private static KeyPair load(Path keyFile, Path publicFile) {
        KeyPair pair;
        try {
            ownerOnly(keyFile);
            PrivateKey key = Ed25519.privateKey(Files.readString(keyFile, StandardCharsets.US_ASCII).trim());
            pair = withPublicHalf(key);
        } catch (IOException | RuntimeException | GeneralSecurityException e) {
            throw new IllegalStateException("the agent's identity key " + keyFile + " cannot be read (" + e
                    + "): restore it from a backup, or start with a fresh state directory (a new identity and epoch, "
                    + "which must be enrolled again)", e);
        }
        try {
            if (Files.exists(publicFile)
                    && !Files.readString(publicFile, StandardCharsets.US_ASCII).trim().equals(Ed25519.encode(pair.getPublic()))) {
                throw new IllegalStateException(publicFile + " is not the public half of " + keyFile
                        + ": one of them was replaced; restore the pair, or start with a fresh state directory");
            }
            if (!Files.exists(publicFile)) {
                writeAtomically(publicFile, Ed25519.encode(pair.getPublic()), false);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot check " + publicFile + ": " + e, e);
        }
        return pair;
    }

    private static KeyPair create(Path keyFile, Path publicFile) {
        KeyPair pair = Ed25519.generate();
        try {
            writeAtomically(keyFile, Ed25519.encode(pair.getPrivate()), true);
            writeAtomically(publicFile, Ed25519.encode(pair.getPublic()), false);
        } catch (IOException e) {
            throw new IllegalStateException("cannot store the agent's identity key in " + keyFile + ": " + e, e);
        }
        LOG.info("made the agent's identity key " + TrustedKeys.fingerprint(pair.getPublic()) + " in " + keyFile);
        return pair;
    }

    /**
     * The pair of a stored private key. The JDK has no call that derives an Ed25519 public key, but its key pair
     * generator makes the private key from the 32 bytes it draws from its random source: given exactly the stored
     * seed, it makes the stored key and its public half. A test signature proves the two belong together.
     */
    private static KeyPair withPublicHalf(PrivateKey key) throws GeneralSecurityException {
        byte[] seed = ((EdECPrivateKey) key).getBytes()
                .orElseThrow(() -> new GeneralSecurityException("the private key's bytes are not available"));
        KeyPairGenerator generator = KeyPairGenerator.getInstance("Ed25519");
        generator.initialize(255, new SecureRandom() {
            @Override
            public void nextBytes(byte[] bytes) {
                System.arraycopy(seed, 0, bytes, 0, Math.min(seed.length, bytes.length));
            }
        });
        KeyPair derived = generator.generateKeyPair();
        byte[] probe = "wslfleet-identity-check".getBytes(StandardCharsets.US_ASCII);
        if (!Ed25519.verify(derived.getPublic(), probe, Ed25519.sign(key, probe))) {
            throw new GeneralSecurityException("cannot derive the public half of the stored key");
        }
        return new KeyPair(derived.getPublic(), key);
    }

    /**
     * Writes {@code content} to a temporary file and moves it into place, so the target is whole or absent; a secret
     * is owner-only from its creation, before its content is written.
     */
    private static void writeAtomically(Path target, String content, boolean secret) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        if (secret && supportsPosix(target.getParent())) {
            FileAttribute<Set<PosixFilePermission>> ownerOnly =
                    PosixFilePermissions.asFileAttribute(EnumSet.of(PosixFilePermission.OWNER_READ,
                            PosixFilePermission.OWNER_WRITE));
            Files.createFile(tmp, ownerOnly);
        } else {
            Files.createFile(tmp);
            if (secret) {
                ownerOnly(tmp);
            }
        }
        Files.writeString(tmp, content, StandardCharsets.US_ASCII);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static boolean supportsPosix(Path dir) {
        return dir.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    /**
     * Restricts a file to its owner: POSIX 0600 where the file system has permissions, else (Windows, NTFS) an ACL
     * whose only entry gives the owner read and write. A file system with neither cannot keep the key secret.
     */
    static void ownerOnly(Path file) throws IOException {
        PosixFileAttributeView posix = Files.getFileAttributeView(file, PosixFileAttributeView.class);
        if (posix != null) {
            Set<PosixFilePermission> wanted = EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
            if (!posix.readAttributes().permissions().equals(wanted)) {
                posix.setPermissions(wanted);
            }
            return;
        }
        AclFileAttributeView acl = Files.getFileAttributeView(file, AclFileAttributeView.class);
        if (acl == null) {
            throw new IOException("the file system of " + file + " has neither POSIX permissions nor ACLs: it cannot "
                    + "keep the identity key readable by its owner only");
        }
        acl.setAcl(List.of(ownerOnlyEntry(acl.getOwner())));
    }

    /** The one ACL entry of a secret on Windows: its owner may read, write and manage it; nobody else anything. */
    static AclEntry ownerOnlyEntry(UserPrincipal owner) {
        return AclEntry.newBuilder().setType(AclEntryType.ALLOW).setPrincipal(owner)
                .setPermissions(EnumSet.of(AclEntryPermission.READ_DATA, AclEntryPermission.WRITE_DATA,
                        AclEntryPermission.APPEND_DATA, AclEntryPermission.READ_ATTRIBUTES,
                        AclEntryPermission.WRITE_ATTRIBUTES, AclEntryPermission.READ_NAMED_ATTRS,
                        AclEntryPermission.WRITE_NAMED_ATTRS, AclEntryPermission.READ_ACL,
                        AclEntryPermission.WRITE_ACL, AclEntryPermission.DELETE, AclEntryPermission.SYNCHRONIZE))
                .build();
    }
}
