package io.wslfleet.protocol.release;

import io.wslfleet.protocol.events.NixosMetadata;
import org.junit.jupiter.api.Test;

import java.security.KeyPair;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ManifestVerifierTest {
    private static final KeyPair OLD = Ed25519.generate();
    private static final KeyPair NEW = Ed25519.generate();
    private static final NixosMetadata NIXOS = new NixosMetadata("25.05", "nixos",
            "/nix/store/aaaa-nixos-system-nixos-25.05", 1, null, 10, 3);

    private static ReleaseManifest manifest(String keyId) {
        return new ReleaseManifest("rel-1", "2505.7.0", "ab".repeat(32), 1234, NIXOS,
                Instant.parse("2026-11-24T10:00:00Z"), keyId);
    }

    private final ManifestVerifier verifier = ManifestVerifier.parse(
            "old=" + Ed25519.encode(OLD.getPublic()) + ", new=" + Ed25519.encode(NEW.getPublic()));

    @Test
    void acceptsAManifestSignedByEitherTrustedKeyDuringRotation() throws Exception {
        SignedManifest byOld = SignedManifest.sign(manifest("old"), OLD.getPrivate());
        SignedManifest byNew = SignedManifest.sign(manifest("new"), NEW.getPrivate());

        assertThat(verifier.verify(byOld.manifestJson(), byOld.signature(), "old")).isEqualTo(manifest("old"));
        assertThat(verifier.verify(byNew.manifestJson(), byNew.signature(), "new")).isEqualTo(manifest("new"));
    }

    @Test
    void refusesATamperedManifest() {
        SignedManifest signed = SignedManifest.sign(manifest("new"), NEW.getPrivate());
        String tampered = signed.manifestJson().replace("1234", "1235");

        assertThatThrownBy(() -> verifier.verify(tampered, signed.signature(), "new"))
                .isInstanceOfSatisfying(UntrustedReleaseException.class,
                        e -> assertThat(e.reason()).isEqualTo(UntrustedReleaseException.Reason.BAD_SIGNATURE));
    }

    @Test
    void refusesAnUnknownKeyAndAMissingSignature() {
        KeyPair stranger = Ed25519.generate();
        SignedManifest signed = SignedManifest.sign(manifest("stranger"), stranger.getPrivate());

        assertThatThrownBy(() -> verifier.verify(signed.manifestJson(), signed.signature(), "stranger"))
                .isInstanceOfSatisfying(UntrustedReleaseException.class,
                        e -> assertThat(e.reason()).isEqualTo(UntrustedReleaseException.Reason.UNKNOWN_KEY));
        assertThatThrownBy(() -> verifier.verify(signed.manifestJson(), "", "new"))
                .isInstanceOfSatisfying(UntrustedReleaseException.class,
                        e -> assertThat(e.reason()).isEqualTo(UntrustedReleaseException.Reason.UNSIGNED));
    }

    @Test
    void refusesASignatureByATrustedKeyOverAManifestNamingAnother() {
        SignedManifest signed = SignedManifest.sign(manifest("old"), NEW.getPrivate());

        assertThatThrownBy(() -> verifier.verify(signed.manifestJson(), signed.signature(), "new"))
                .isInstanceOfSatisfying(UntrustedReleaseException.class,
                        e -> assertThat(e.reason()).isEqualTo(UntrustedReleaseException.Reason.BAD_SIGNATURE));
    }

    @Test
    void checksArtifactDigestAndSize() throws Exception {
        ReleaseManifest m = manifest("new");
        ManifestVerifier.checkArtifact(m, "AB".repeat(32), 1234);

        assertThatThrownBy(() -> ManifestVerifier.checkArtifact(m, "cd".repeat(32), 1234))
                .isInstanceOfSatisfying(UntrustedReleaseException.class,
                        e -> assertThat(e.reason()).isEqualTo(UntrustedReleaseException.Reason.CHECKSUM_MISMATCH));
        assertThatThrownBy(() -> ManifestVerifier.checkArtifact(m, "ab".repeat(32), 99))
                .isInstanceOfSatisfying(UntrustedReleaseException.class,
                        e -> assertThat(e.reason()).isEqualTo(UntrustedReleaseException.Reason.SIZE_MISMATCH));
    }

    @Test
    void trustedKeyConfigMustBeWellFormed() {
        assertThatThrownBy(() -> ManifestVerifier.parse("nokeyid")).hasMessageContaining("keyId=base64");
        assertThat(ManifestVerifier.parse(" ")).isNotNull();
        assertThat(new ManifestVerifier(Map.of())).isNotNull();
    }
}
