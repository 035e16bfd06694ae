package io.wslfleet.protocol.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * A release is stored and signed: the claim check for its bytes, which never travel through Kafka.
 *
 * @param manifest  the release manifest JSON exactly as signed (see {@code io.wslfleet.protocol.release})
 * @param signature base64 Ed25519 signature over the UTF-8 bytes of {@code manifest}
 * @param keyId     which signing key made the signature
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ReleasePublished(String releaseId, String buildId, String version, String sha256, long size,
                               String downloadUrl, String manifest, String signature, String keyId,
                               NixosMetadata nixos) implements BuildEvent {
    public ReleasePublished {
        Require.id(releaseId, "releaseId");
        Require.id(buildId, "buildId");
        Require.id(version, "version");
        Require.sha256(sha256, "sha256");
        Require.nonNegative(size, "size");
        Require.url(downloadUrl, "downloadUrl");
        Require.nonBlank(manifest, "manifest");
        Require.name(manifest, "manifest", 65_536);
        Require.nonBlank(signature, "signature");
        Require.name(signature, "signature", 256);
        Require.id(keyId, "keyId");
        Require.nonNull(nixos, "nixos");
    }

    @Override
    public String key() {
        return releaseId;
    }
}
