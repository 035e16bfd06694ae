package io.wslfleet.protocol.trust;

import io.wslfleet.protocol.release.Ed25519;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Public keys trusted by id, as a verifier's configuration lists them: {@code keyId=base64,keyId2=base64}
 * ({@code FLEET_TRUST_ORCHESTRATOR_KEYS}, {@code FLEET_TRUST_BUILD_KEYS}, {@code FLEET_TRUSTED_KEYS}). Several keys
 * are trusted at once so that a key is rotated without downtime: trust the new key everywhere, switch the signer to
 * it, then drop the old one.
 */
public final class TrustedKeys {
    /** Key ids: what {@code fleet_sig_key} may hold. */
    public static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:+@-]{0,127}");

    private final Map<String, PublicKey> keys;

    public TrustedKeys(Map<String, PublicKey> keys) {
        keys.keySet().forEach(TrustedKeys::checkKeyId);
        this.keys = Collections.unmodifiableMap(new LinkedHashMap<>(keys)); // in the configured order: Map.copyOf has none
    }

    public static TrustedKeys none() {
        return new TrustedKeys(Map.of());
    }

    /** Parses {@code keyId=base64,keyId2=base64} (whitespace and empty entries ignored); null is none. */
    public static TrustedKeys parse(String trusted) {
        Map<String, PublicKey> keys = new LinkedHashMap<>();
        if (trusted != null) {
            for (String entry : trusted.split("[,\\s]+")) {
                if (entry.isBlank()) {
                    continue;
                }
                int eq = entry.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("a trusted key entry reads keyId=base64, not: " + entry);
                }
                keys.put(entry.substring(0, eq), Ed25519.publicKey(entry.substring(eq + 1)));
            }
        }
        return new TrustedKeys(keys);
    }

    public Optional<PublicKey> get(String keyId) {
        return keyId == null ? Optional.empty() : Optional.ofNullable(keys.get(keyId));
    }

    public Set<String> ids() {
        return keys.keySet();
    }

    public boolean isEmpty() {
        return keys.isEmpty();
    }

    public Map<String, PublicKey> asMap() {
        return keys;
    }

    /**
     * The id of an agent's key: {@code ed25519:} and the first 16 bytes of the SHA-256 of its X.509 encoding, in hex.
     * Stable for a key, different for another one, short enough for a header and a log line.
     */
    public static String fingerprint(PublicKey key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
            return "ed25519:" + HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The fingerprint of a base64 X.509 public key; an {@link IllegalArgumentException} when it is not one. */
    public static String fingerprint(String publicKeyBase64) {
        return fingerprint(Ed25519.publicKey(publicKeyBase64));
    }

    static String checkKeyId(String keyId) {
        if (keyId == null || !KEY_ID.matcher(keyId).matches()) {
            throw new IllegalArgumentException("a key id is 1 to 128 of A-Z a-z 0-9 . _ : + @ - (starting with a "
                    + "letter or digit): " + (keyId == null ? "null" : new String(keyId.getBytes(StandardCharsets.UTF_8),
                    StandardCharsets.UTF_8)));
        }
        return keyId;
    }
}
