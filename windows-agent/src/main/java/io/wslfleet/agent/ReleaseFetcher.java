package io.wslfleet.agent;


import java.nio.file.Files;
import java.nio.file.Path;

import io.wslfleet.protocol.events.ReleaseRef;
import io.wslfleet.protocol.release.ManifestVerifier;
import io.wslfleet.protocol.release.ReleaseManifest;
import io.wslfleet.protocol.release.UntrustedReleaseException;

/** Fetch and verify a release: signature and the command's claim first, then download, then sha256 and size. */
final class ReleaseFetcher {

    /** Either a downloaded, verified file or the refusal to send instead. */
    sealed interface Fetched permits Verified, Refused {
    }

    record Verified(Path file, ReleaseManifest manifest) implements Fetched {
        String systemPath(ReleaseRef release) {
            return manifest.nixos() == null ? release.systemPath() : manifest.nixos().systemPath();
        }
    }

    record Refused(Outcome outcome) implements Fetched {
    }

    private final ManifestVerifier verifier;
    private final Path staging;
    private final Downloader downloader = new Downloader();

    ReleaseFetcher(String trustedKeys, Path staging) {
        this.verifier = ManifestVerifier.parse(trustedKeys);
        this.staging = staging;
    }

    Fetched fetch(ReleaseRef release, Steps steps) throws Exception {
        ReleaseManifest manifest;
        try {
            manifest = verifier.verify(release.manifest(), release.signature(), release.keyId());
            if (!manifest.sha256().equalsIgnoreCase(release.sha256()) || manifest.size() != release.size()) {
                throw new UntrustedReleaseException(UntrustedReleaseException.Reason.CHECKSUM_MISMATCH,
                        "the command's sha256/size differ from the signed manifest's");
            }
        } catch (UntrustedReleaseException e) {
            return new Refused(Outcome.refused(FailureReasons.of(e), e.getMessage(), null));
        }
        steps.step("DOWNLOADING", 0, release.size(), "downloading " + release.downloadUrl());
        Path file = downloader.fetch(release.downloadUrl(), release.sha256(), release.size(), staging,
                (done, total) -> steps.step("DOWNLOADING", done, total, null));
        steps.step("VERIFYING_ARTIFACT", release.size(), release.size(), "checking sha256 and size");
        try {
            ManifestVerifier.checkArtifact(manifest, Downloader.sha256(file), Files.size(file));
        } catch (UntrustedReleaseException e) {
            Files.deleteIfExists(file);
            return new Refused(Outcome.refused(FailureReasons.of(e), e.getMessage(), null));
        }
        return new Verified(file, manifest);
    }
}
