package io.wslfleet.orchestrator.support;

import io.wslfleet.protocol.events.NixosMetadata;
import io.wslfleet.protocol.events.ReleasePublished;

import java.util.UUID;

/** Test data with unique names, since every test class shares one broker and one database. */
public final class Fixtures {
    private Fixtures() {
    }

    public static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    public static String systemPath(String version) {
        return "/nix/store/" + UUID.nameUUIDFromBytes(version.getBytes()).toString().replace("-", "")
                + "-nixos-system-nixos-" + version;
    }

    /** Publishes a release on fleet.artifacts as a build worker would, and returns its id. */
    public static ReleasePublished publishRelease(String version) {
        String sha = UUID.randomUUID().toString().replace("-", "") + UUID.randomUUID().toString().replace("-", "");
        ReleasePublished release = new ReleasePublished("rel-" + version, unique("b"), version, sha, 1024,
                "http://127.0.0.1:1/artifacts/" + sha + "/nixos.wsl", "{\"releaseId\":\"rel-" + version + "\"}",
                "c2ln", "test-key", new NixosMetadata("25.05", "nixos", systemPath(version), 1, "2505.7.0", 4096, 10));
        TestBus.publish("/build-worker/test", release);
        return release;
    }
}
