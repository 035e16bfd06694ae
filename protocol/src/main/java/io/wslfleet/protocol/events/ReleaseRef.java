package io.wslfleet.protocol.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** Everything an agent needs to fetch a release and trust it: the claim check and the signed manifest. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ReleaseRef(String releaseId, String version, String downloadUrl, String sha256, long size,
                         String manifest, String signature, String keyId, String systemPath) {
    public ReleaseRef {
        Require.id(releaseId, "release.releaseId");
        if (version != null) {
            Require.id(version, "release.version");
        }
        Require.url(downloadUrl, "release.downloadUrl");
        Require.sha256(sha256, "release.sha256");
        Require.nonNegative(size, "release.size");
        Require.name(manifest, "release.manifest", 65_536);
        Require.name(signature, "release.signature", 256);
        if (keyId != null) {
            Require.id(keyId, "release.keyId");
        }
        StorePath.check(systemPath, "release.systemPath");
    }
}
