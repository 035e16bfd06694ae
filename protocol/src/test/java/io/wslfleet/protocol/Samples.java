package io.wslfleet.protocol;

import io.wslfleet.protocol.events.*;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** One fixed example of every event, as pinned by the golden files. */
final class Samples {
    static final Instant T = Instant.parse("2026-11-24T10:15:30Z");
    static final String AGENT = "ws-0042/alice";
    /** The agent's epoch: when its state was created, a day before {@link #T}. */
    static final long EPOCH = T.minusSeconds(86_400).toEpochMilli();
    static final String SYSTEM = "/nix/store/1b9p07z77phvv2hf6gm9f28syp39f1ag-nixos-system-nixos-25.05.20250601.abcdef0";
    static final ReleaseRef RELEASE = new ReleaseRef("rel-2505.7.0-acme.1", "2505.7.0-acme.1",
            "http://artifacts.example/sha256/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", 734003200L,
            "{\"releaseId\":\"rel-2505.7.0-acme.1\"}", "c2lnbmF0dXJl", "fleet-2026", SYSTEM);
    static final NixosMetadata NIXOS = new NixosMetadata("25.05.20250601.abcdef0", "nixos", SYSTEM, 1, "2505.7.0",
            2147483648L, 81234L);
    /** An Ed25519 public key (X.509, base64): the agent's enrolled key. */
    static final String PUBLIC_KEY = "MCowBQYDK2VwAyEAAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    static final Health HEALTHY = new Health("NixOS", "running", List.of(), 2, SYSTEM, T);

    static Map<EventType, EventData> all() {
        return Map.ofEntries(
                Map.entry(EventType.BUILD_REQUESTED, new BuildRequested("b-17", "2505.7.0-acme.1",
                        new BuildRequested.Source(BuildRequested.SourceKind.UPSTREAM,
                                "https://mirror.example/nixos.wsl", null, null),
                        new BuildRequested.Customization(Map.of("/etc/nixos/configuration.nix", "{ ... }: { }"),
                                "NixOS", Map.of("automount.root", "/mnt"),
                                List.of(BuildRequested.File.of("/etc/ssl/acme-root.der", new byte[] {0x30, (byte) 0x82, 0x01, 0x0a},
                                        "0644", 0L, 0L))), "alice")),
                Map.entry(EventType.BUILD_PROGRESS, new BuildProgress("b-17", "CUSTOMIZING", 1048576L, 734003200L)),
                Map.entry(EventType.BUILD_FAILED, new BuildFailed("b-17", "CHECKSUM_MISMATCH",
                        "nixos.wsl has sha256 aa…, nixos.wsl.sha256 says bb…")),
                Map.entry(EventType.RELEASE_PUBLISHED, new ReleasePublished(RELEASE.releaseId(), "b-17",
                        RELEASE.version(), RELEASE.sha256(), RELEASE.size(), RELEASE.downloadUrl(), RELEASE.manifest(),
                        RELEASE.signature(), RELEASE.keyId(), NIXOS)),
                Map.entry(EventType.INSTALL_COMMAND, new InstallCommand("c-1", AGENT, "NixOS", RELEASE,
                        T.plusSeconds(1800))),
                Map.entry(EventType.UPGRADE_COMMAND, new UpgradeCommand("c-2", AGENT, "NixOS", RELEASE,
                        UpgradeMode.IN_PLACE, true, T.plusSeconds(1800))),
                Map.entry(EventType.ROLLBACK_COMMAND, new RollbackCommand("c-3", AGENT, "NixOS", 1,
                        "wave 2 crossed its error threshold", T.plusSeconds(900))),
                Map.entry(EventType.BACKUP_COMMAND, new BackupCommand("c-4", AGENT, "NixOS", T.plusSeconds(900))),
                Map.entry(EventType.HEALTH_CHECK_COMMAND, new HealthCheckCommand("c-5", AGENT, "NixOS",
                        T.plusSeconds(300))),
                Map.entry(EventType.AGENT_REGISTERED, new AgentRegistered(AGENT, EPOCH, 1, "0.1.0",
                        new Inventory("ws-0042", "alice", "WS-0042", "10.0.26100.2605", "2.4.11.0",
                                "5.15.167.4-1", 53687091200L, Map.of("ring", "canary"),
                                List.of(new DistroInfo("NixOS", "Stopped", 2, true, 2, SYSTEM,
                                        "25.05.20250601.abcdef0", "2505.7.0",
                                        List.of(new GenerationInfo(1, "/nix/store/0000000000000000000000000000000a-nixos-system-nixos-24.11"),
                                                new GenerationInfo(2, SYSTEM))))),
                        PUBLIC_KEY, "et-7f3a.Qm9ndXMgdG9rZW4gZm9yIHRoZSBnb2xkZW4gZmlsZQ")),
                Map.entry(EventType.AGENT_HEARTBEAT, new AgentHeartbeat(AGENT, EPOCH, 2, HEALTHY)),
                Map.entry(EventType.COMMAND_PROGRESS, new CommandProgress(AGENT, EPOCH, 3, "c-2", "DOWNLOADING", 1048576L,
                        734003200L, null)),
                Map.entry(EventType.COMMAND_RESULT, new CommandResult(AGENT, EPOCH, 4, "c-2", "upgrade",
                        CommandOutcome.ROLLED_BACK, FailureReason.ACTIVATION_FAILED,
                        "generation 3 came up degraded; back on generation 2", HEALTHY, 3,
                        List.of("home-manager-alice.service"), "Nov 24 10:15:29 systemd[1]: Failed to start …")),
                Map.entry(EventType.COMMAND_REFUSED, new CommandRefused(AGENT, EPOCH, 5, "c-9",
                        "io.wslfleet.distro.rollback.v1", RejectReason.UNAUTHENTICATED,
                        "signed with key attacker, which is not trusted here")));
    }

    private Samples() {
    }
}
