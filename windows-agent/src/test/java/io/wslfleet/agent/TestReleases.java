package io.wslfleet.agent;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Instant;

import io.wslfleet.buildworker.ArchiveInspector;
import io.wslfleet.buildworker.ArtifactServer;
import io.wslfleet.buildworker.ArtifactStore;
import io.wslfleet.buildworker.DemoRoot;
import io.wslfleet.buildworker.RootPacker;
import io.wslfleet.protocol.events.NixosMetadata;
import io.wslfleet.protocol.events.ReleaseRef;
import io.wslfleet.protocol.release.ReleaseManifest;
import io.wslfleet.protocol.release.SignedManifest;

/** Signed demo releases in an artifact store, served over HTTP: what the agent fetches and verifies (key id k1). */
record TestReleases(Path dir, KeyPair key, ArtifactStore store, ArtifactServer server) {

    ReleaseRef publish(String version, DemoRoot.Fault fault) throws Exception {
        Path root = dir.resolve("root-" + version);
        DemoRoot.create(root, "agent-test", version, 1, fault);
        try (ArtifactStore.Staged staged = store.stage()) {
            RootPacker.pack(root, staged.stream(), d -> { });
            String sha = staged.finish();
            NixosMetadata meta;
            try (var in = Files.newInputStream(staged.tempFile())) {
                meta = ArchiveInspector.inspect(in, ArchiveInspector.Limits.DEFAULT);
            }
            SignedManifest signed = SignedManifest.sign(new ReleaseManifest("rel-" + version, version, sha, staged.size(),
                    meta, Instant.now(), "k1"), key.getPrivate());
            store.commit(staged, sha, signed);
            return new ReleaseRef("rel-" + version, version, server.urlOf(sha), sha, staged.size(), signed.manifestJson(),
                    signed.signature(), signed.keyId(), meta.systemPath());
        }
    }
}
