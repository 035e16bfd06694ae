package io.wslfleet.protocol.release;

/** The manifest JSON as signed, the base64 signature, and the id of the key that made it. */
public record SignedManifest(String manifestJson, String signature, String keyId) {

    /** Signs a manifest with the key it names. */
    public static SignedManifest sign(ReleaseManifest manifest, java.security.PrivateKey key) {
        String json = manifest.toJson();
        return new SignedManifest(json, Ed25519.sign(key, json.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                manifest.keyId());
    }
}
