package io.wslfleet.protocol.trust;

import io.wslfleet.protocol.release.Ed25519;

import java.security.KeyPair;
import java.security.PrivateKey;
import java.util.Objects;

/**
 * A private Ed25519 key and the id its verifiers know it by: the orchestrator's command key
 * ({@code FLEET_ORCHESTRATOR_KEY_ID}/{@code FLEET_ORCHESTRATOR_KEY}), a build worker's release key
 * ({@code FLEET_SIGNING_KEY_ID}/{@code FLEET_SIGNING_KEY}), or an agent's own key (its id is
 * {@link TrustedKeys#fingerprint the fingerprint} of its public half).
 */
public record Signer(String keyId, PrivateKey key) {
    public Signer {
        TrustedKeys.checkKeyId(keyId);
        Objects.requireNonNull(key, "key");
    }

    /** From a key id and a base64 PKCS#8 private key, as configuration holds them. */
    public static Signer of(String keyId, String privateKeyBase64) {
        return new Signer(keyId, Ed25519.privateKey(privateKeyBase64));
    }

    /** An agent's signer: its key id is the fingerprint of the public key. */
    public static Signer ofPair(KeyPair pair) {
        return new Signer(TrustedKeys.fingerprint(pair.getPublic()), pair.getPrivate());
    }

    public String sign(byte[] message) {
        return Ed25519.sign(key, message);
    }

    @Override
    public String toString() {
        return "Signer[" + keyId + "]";
    }
}
