package io.wslfleet.agent;

import io.wslfleet.protocol.events.FailureReason;

import java.nio.file.Files;
import java.nio.file.Path;

import io.wslfleet.protocol.events.Health;
import io.wslfleet.protocol.events.InstallCommand;
import io.wslfleet.protocol.events.ReleaseRef;

/**
 * Install: fetch and verify, refuse a taken name or too little disk, register the file ({@code --install
 * --from-file} on WSL 2.4.4 and later, {@code --import} before and on inbox WSL), first start, probe.
 */
final class Installer {

    private final Wsl wsl;
    private final ReleaseFetcher fetcher;
    private final HealthProbe health;
    private final AgentState state;

    Installer(Wsl wsl, ReleaseFetcher fetcher, HealthProbe health, AgentState state) {
        this.wsl = wsl;
        this.fetcher = fetcher;
        this.health = health;
        this.state = state;
    }

    Outcome install(InstallCommand command, Steps steps) throws Exception {
        String distro = command.distroName();
        ReleaseRef release = command.release();
        ReleaseFetcher.Fetched fetched = fetcher.fetch(release, steps);
        if (fetched instanceof ReleaseFetcher.Refused refused) {
            return refused.outcome();
        }
        return install(distro, release, (ReleaseFetcher.Verified) fetched, steps);
    }

    /** What a reimport does to the fresh distro after it is registered and before it is verified. */
    interface BeforeVerify {
        void run(String distro) throws Exception;
    }

    Outcome install(String distro, ReleaseRef release, ReleaseFetcher.Verified verified, Steps steps) throws Exception {
        return install(distro, release, verified, steps, d -> { });
    }

    Outcome install(String distro, ReleaseRef release, ReleaseFetcher.Verified verified, Steps steps,
                    BeforeVerify beforeVerify) throws Exception {
        if (wsl.distro(distro).isPresent()) {
            return Outcome.refused(FailureReason.NAME_TAKEN, "a distro named " + distro + " is already installed; upgrade it instead",
                    health.probe(distro));
        }
        long free = Files.getFileStore(state.staging()).getUsableSpace();
        long needed = verified.manifest().nixos() == null ? release.size() * 4
                : verified.manifest().nixos().uncompressedSize() + release.size();
        if (free < needed) {
            return Outcome.refused(FailureReason.DISK_FULL, "needs " + needed + " bytes free, " + free + " available", null);
        }
        steps.step("INSTALLING", "installing " + release.version() + " as " + distro);
        try {
            register(distro, verified.file());
        } catch (WslException e) {
            return Outcome.failed(FailureReasons.of(e), e.getMessage() + " (" + e.errorCode() + ")", null);
        }
        String expected = verified.systemPath(release);
        beforeVerify.run(distro);
        steps.step("STARTING", "first start of " + distro);
        Health after = health.afterStart(distro, expected, steps);
        if (HealthProbe.runs(after, expected)) {
            Files.deleteIfExists(verified.file());
            return Outcome.succeeded("installed " + release.version(), after);
        }
        return new Outcome(io.wslfleet.protocol.events.CommandOutcome.FAILED, FailureReason.ACTIVATION_FAILED,
                "installed, but the system is " + after.systemState() + " on " + after.systemPath()
                        + " (expected running on " + expected + ")", after, after.generation(), after.failedUnits(), null);
    }

    /** Registers a tar as the distro: {@code --install --from-file} where WSL has it, else {@code --import}. */
    void register(String distro, Path file) throws Exception {
        Path location = state.distroLocation(distro);
        Files.createDirectories(location);
        if (wsl.wslVersion().map(Installer::atLeast244).orElse(false)) {
            wsl.call("--install", "--from-file", file.toString(), "--name", distro, "--location", location.toString(),
                    "--no-launch");
        } else {
            wsl.call("--import", distro, location.toString(), file.toString(), "--version", "2");
        }
    }

    static boolean atLeast244(String version) {
        String[] p = version.split("\\.");
        int[] v = new int[3];
        for (int i = 0; i < 3 && i < p.length; i++) {
            v[i] = Integer.parseInt(p[i].replaceAll("\\D.*", ""));
        }
        return v[0] > 2 || (v[0] == 2 && (v[1] > 4 || (v[1] == 4 && v[2] >= 4)));
    }
}
