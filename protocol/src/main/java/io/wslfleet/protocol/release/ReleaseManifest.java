package io.wslfleet.protocol.release;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.JsonProcessingException;
import io.wslfleet.protocol.Json;
import io.wslfleet.protocol.events.NixosMetadata;

import java.time.Instant;
import java.util.Objects;

/**
 * What the build worker vouches for: the artifact's digest and size and its NixOS metadata. Signed as the exact JSON
 * bytes it travels as, so no re-serialisation is ever needed to check a signature.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ReleaseManifest(String releaseId, String version, String sha256, long size, NixosMetadata nixos,
                              Instant created, String keyId) {
    public ReleaseManifest {
        Objects.requireNonNull(releaseId, "releaseId");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(sha256, "sha256");
        Objects.requireNonNull(keyId, "keyId");
    }

    public String toJson() {
        try {
            return Json.MAPPER.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static ReleaseManifest parse(String json) throws UntrustedReleaseException {
        try {
            return Json.MAPPER.readValue(json, ReleaseManifest.class);
        } catch (JsonProcessingException e) {
            throw new UntrustedReleaseException(UntrustedReleaseException.Reason.MALFORMED_MANIFEST,
                    "manifest is not valid JSON: " + e.getOriginalMessage());
        }
    }
}
