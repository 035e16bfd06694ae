package io.wslfleet.protocol.release;

import io.wslfleet.protocol.release.UntrustedReleaseException.Reason;

import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Checks releases against the trusted signing keys. Several keys may be trusted at once, by key id, so that keys can
 * be rotated: publish with the new key while agents still trust the old one, then retire the old one.
 */
public final class ManifestVerifier {
    private final Map<String, PublicKey> trusted;

    public ManifestVerifier(Map<String, PublicKey> trusted) {
        this.trusted = Map.copyOf(trusted);
    }

    /** Parses {@code keyId=base64,keyId2=base64} (whitespace and empty entries ignored). */
    public static ManifestVerifier parse(String trustedKeys) {
        Map<String, PublicKey> keys = new LinkedHashMap<>();
        for (String entry : trustedKeys.split("[,\\s]+")) {
            if (entry.isBlank()) {
                continue;
            }
            int eq = entry.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("trusted key entry must read keyId=base64: " + entry);
            }
            keys.put(entry.substring(0, eq), Ed25519.publicKey(entry.substring(eq + 1)));
        }
        return new ManifestVerifier(keys);
    }

    /** The manifest, once its signature is verified by a trusted key and it names that key. */
    public ReleaseManifest verify(String manifestJson, String signature, String keyId) throws UntrustedReleaseException {
        if (manifestJson == null || manifestJson.isBlank() || signature == null || signature.isBlank()) {
            throw new UntrustedReleaseException(Reason.UNSIGNED, "the release carries no signed manifest");
        }
        PublicKey key = keyId == null ? null : trusted.get(keyId);
        if (key == null) {
            throw new UntrustedReleaseException(Reason.UNKNOWN_KEY,
                    "the release is signed with key '" + keyId + "', which is not trusted (trusted: "
                            + trusted.keySet() + ")");
        }
        if (!Ed25519.verify(key, manifestJson.getBytes(StandardCharsets.UTF_8), signature)) {
            throw new UntrustedReleaseException(Reason.BAD_SIGNATURE,
                    "the manifest signature does not verify with key '" + keyId + "'");
        }
        ReleaseManifest manifest = ReleaseManifest.parse(manifestJson);
        if (!keyId.equals(manifest.keyId())) {
            throw new UntrustedReleaseException(Reason.BAD_SIGNATURE,
                    "the manifest names key '" + manifest.keyId() + "' but was signed with '" + keyId + "'");
        }
        return manifest;
    }

    /** Checks that downloaded bytes are the ones the manifest vouches for. */
    public static void checkArtifact(ReleaseManifest manifest, String actualSha256, long actualSize)
            throws UntrustedReleaseException {
        if (manifest.size() != actualSize) {
            throw new UntrustedReleaseException(Reason.SIZE_MISMATCH,
                    "artifact is " + actualSize + " bytes, the manifest says " + manifest.size());
        }
        if (!manifest.sha256().equalsIgnoreCase(actualSha256)) {
            throw new UntrustedReleaseException(Reason.CHECKSUM_MISMATCH,
                    "artifact sha256 is " + actualSha256 + ", the manifest says " + manifest.sha256());
        }
    }
}
