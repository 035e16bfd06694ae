package io.wslfleet.protocol.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** Everything an agent needs to fetch a release and trust it: the claim check and the signed manifest. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ReleaseRef(String releaseId, String version, String downloadUrl, String sha256, long size,
                         String manifest, String signature, String keyId, String systemPath) {
    public ReleaseRef {
        Require.nonBlank(releaseId, "release.releaseId");
        Require.nonBlank(downloadUrl, "release.downloadUrl");
        Require.nonBlank(sha256, "release.sha256");
        Require.nonNegative(size, "release.size");
    }
}
