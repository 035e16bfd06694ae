package io.wslfleet.agent;

import io.wslfleet.protocol.events.FailureReason;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

import io.wslfleet.buildworker.DemoRoot;
import io.wslfleet.protocol.events.CommandOutcome;
import io.wslfleet.protocol.events.CommandResult;
import io.wslfleet.protocol.events.HealthCheckCommand;
import io.wslfleet.protocol.events.InstallCommand;
import io.wslfleet.protocol.events.ReleaseRef;
import io.wslfleet.protocol.events.RollbackCommand;
import io.wslfleet.protocol.events.UpgradeCommand;
import io.wslfleet.protocol.events.UpgradeMode;
import io.wslfleet.wslstandin.StandInFaults;
import org.junit.jupiter.api.Test;

/**
 * The agent over a real broker against the stand-in wsl.exe (a separate process) where wsl.exe and NixOS-WSL behave
 * as their sources show (issue #12): each test here failed on the agent before the fix it names.
 */
class WslAsItReallyBehavesTest extends AgentTestSupport {

    private static Instant soon() {
        return Instant.now().plusSeconds(300);
    }

    private static String installed(Agent agent, String commandId) throws Exception {
        String id = agent.config().agentId();
        send(new InstallCommand(commandId, id, "NixOS", release, soon()));
        CommandResult r = await(CommandResult.class, x -> x.commandId().equals(commandId));
        assertThat(r.outcome()).as(r.message()).isEqualTo(CommandOutcome.SUCCEEDED);
        return id;
    }

    /** Defect 1: WSL prints disk full as the HRESULT 0x80070070, not as ERROR_DISK_FULL. */
    @Test
    void aDiskFullInstallIsReportedAsDiskFull() throws Exception {
        Path wslState = tmp.resolve("ws-r1-wsl");
        StandInFaults.inject(wslState, StandInFaults.DISK_FULL, "");
        Agent agent = agent("ws-r1", wslState);
        send(new InstallCommand("r1-install", agent.config().agentId(), "NixOS", release, soon()));
        CommandResult full = await(CommandResult.class, r -> r.commandId().equals("r1-install"));
        assertThat(full.outcome()).isEqualTo(CommandOutcome.FAILED);
        assertThat(full.reason()).as(full.message()).isEqualTo(FailureReason.DISK_FULL);
        assertThat(distrosOf(wslState)).isEmpty();
    }

    /** Defect 2: the recovery shell enters a generation for one session; the profile has to be switched in it. */
    @Test
    void aGenerationThatWillNotBootIsRolledBackThroughTheRecoveryShellAndStaysBackAfterARestart() throws Exception {
        Path wslState = tmp.resolve("ws-r2-wsl");
        Agent agent = agent("ws-r2", wslState);
        String id = installed(agent, "r2-install");
        ReleaseRef broken = publish(store, "25.05.602", DemoRoot.Fault.NO_BOOT);
        send(new UpgradeCommand("r2-upgrade", id, "NixOS", broken, UpgradeMode.IN_PLACE, false, soon()));
        CommandResult back = await(CommandResult.class, r -> r.commandId().equals("r2-upgrade"));
        assertThat(back.outcome()).as(back.message()).isEqualTo(CommandOutcome.ROLLED_BACK);
        assertThat(back.message()).contains("recovery shell");
        assertThat(profileLink(wslState)).isEqualTo("system-1-link");

        wsl(wslState, "--terminate", "NixOS");
        send(new HealthCheckCommand("r2-health", id, "NixOS", soon()));
        CommandResult health = await(CommandResult.class, r -> r.commandId().equals("r2-health"));
        assertThat(health.health().systemState()).isEqualTo("running");
        assertThat(health.health().systemPath()).isEqualTo(release.systemPath());
    }

    /** Defect 3: inbox WSL has no --export --format; a backup that is not there must stop the reimport. */
    @Test
    void onInboxWslAReimportWhoseFreshInstallFailsRestoresTheBackupAndHome() throws Exception {
        Path wslState = tmp.resolve("ws-r3-wsl");
        StandInFaults.inject(wslState, StandInFaults.INBOX, "");
        Agent agent = agent("ws-r3", wslState);
        String id = installed(agent, "r3-install");
        Path home = wslState.resolve("distros/NixOS/rootfs/home/nixos/notes.txt");
        Files.writeString(home, "keep me");
        ReleaseRef degraded = publish(store, "25.05.603", DemoRoot.Fault.DEGRADED);
        send(new UpgradeCommand("r3-reimport", id, "NixOS", degraded, UpgradeMode.REIMPORT, true, soon()));
        CommandResult back = await(CommandResult.class, r -> r.commandId().equals("r3-reimport"));
        assertThat(back.outcome()).as(back.message()).isEqualTo(CommandOutcome.ROLLED_BACK);
        assertThat(distrosOf(wslState)).isEqualTo("NixOS");
        assertThat(Files.readString(home)).isEqualTo("keep me");
        assertThat(back.health().systemPath()).isEqualTo(release.systemPath());
    }

    /** Defect 4: after {@code --} the distro's shell eats a Windows path's backslashes (and splits at spaces). */
    @Test
    void aStagedFileWhosePathHasBackslashesAndSpacesReachesTheDistroAsItIs() throws Exception {
        Path wslState = tmp.resolve("ws-r4-wsl");
        Path stateDir = tmp.resolve("C:\\Users\\John Smith\\AppData\\Local\\WslFleet");
        Agent agent = agent("ws-r4", wslState, Map.of("FLEET_AGENT_STATE_DIR", stateDir.toString()));
        String id = installed(agent, "r4-install");
        ReleaseRef next = publish(store, "25.05.604", DemoRoot.Fault.NONE);
        send(new UpgradeCommand("r4-upgrade", id, "NixOS", next, UpgradeMode.IN_PLACE, false, soon()));
        CommandResult up = await(CommandResult.class, r -> r.commandId().equals("r4-upgrade"));
        assertThat(up.outcome()).as(up.message()).isEqualTo(CommandOutcome.SUCCEEDED);
        assertThat(up.health().systemPath()).isEqualTo(next.systemPath());
    }

    /** Defect 5: a timeout after the profile moved must not leave the distro between generations. */
    @Test
    void aTimeoutInSwitchToConfigurationAfterTheProfileMovedEndsOnTheOldGeneration() throws Exception {
        Path wslState = tmp.resolve("ws-r5-wsl");
        Agent agent = agent("ws-r5", wslState, Map.of("FLEET_WSL_TIMEOUT_SECONDS", "5"));
        String id = installed(agent, "r5-install");
        ReleaseRef next = publish(store, "25.05.605", DemoRoot.Fault.NONE);
        StandInFaults.inject(wslState, StandInFaults.HANG, "boot");
        send(new UpgradeCommand("r5-upgrade", id, "NixOS", next, UpgradeMode.IN_PLACE, false, soon()));
        awaitStandInCall(wslState, "boot");
        StandInFaults.clear(wslState, StandInFaults.HANG); // the hanging call stays stuck until the agent kills it
        CommandResult r = await(CommandResult.class, x -> x.commandId().equals("r5-upgrade"));
        assertThat(r.outcome()).as(r.message()).isEqualTo(CommandOutcome.ROLLED_BACK);
        assertThat(r.reason()).isEqualTo(FailureReason.WSL_TIMEOUT);
        assertThat(r.health().systemState()).isEqualTo("running");
        assertThat(r.health().systemPath()).isEqualTo(release.systemPath());
        assertThat(profileLink(wslState)).isEqualTo("system-1-link");
    }

    /** Defect 5: an idle stop after the profile moved boots the new generation early; here it does not boot. */
    @Test
    void anIdleStopAfterTheProfileMovedToAGenerationThatWillNotBootEndsOnTheOldGeneration() throws Exception {
        Path wslState = tmp.resolve("ws-r6-wsl");
        Agent agent = agent("ws-r6", wslState);
        String id = installed(agent, "r6-install");
        ReleaseRef broken = publish(store, "25.05.606", DemoRoot.Fault.NO_BOOT);
        StandInFaults.inject(wslState, StandInFaults.IDLE_STOP, "boot");
        send(new UpgradeCommand("r6-upgrade", id, "NixOS", broken, UpgradeMode.IN_PLACE, false, soon()));
        CommandResult r = await(CommandResult.class, x -> x.commandId().equals("r6-upgrade"));
        assertThat(wslState.resolve("faults").resolve(StandInFaults.IDLE_STOPPED)).exists();
        assertThat(r.outcome()).as(r.message()).isEqualTo(CommandOutcome.ROLLED_BACK);
        assertThat(r.health().systemState()).isEqualTo("running");
        assertThat(r.health().systemPath()).isEqualTo(release.systemPath());
        assertThat(profileLink(wslState)).isEqualTo("system-1-link");
    }

    /** Defect 6: after a rollback the next generation is not previous + 1. */
    @Test
    void theFailedGenerationIsTheOneTheProfileLinkNames() throws Exception {
        Path wslState = tmp.resolve("ws-r7-wsl");
        Agent agent = agent("ws-r7", wslState);
        String id = installed(agent, "r7-install");
        ReleaseRef degraded = publish(store, "25.05.607", DemoRoot.Fault.DEGRADED);
        send(new UpgradeCommand("r7-up1", id, "NixOS", degraded, UpgradeMode.IN_PLACE, false, soon()));
        CommandResult first = await(CommandResult.class, x -> x.commandId().equals("r7-up1"));
        assertThat(first.outcome()).as(first.message()).isEqualTo(CommandOutcome.ROLLED_BACK);
        assertThat(first.failedGeneration()).isEqualTo(2);

        ReleaseRef broken = publish(store, "25.05.608", DemoRoot.Fault.NO_BOOT);
        send(new UpgradeCommand("r7-up2", id, "NixOS", broken, UpgradeMode.IN_PLACE, false, soon()));
        CommandResult second = await(CommandResult.class, x -> x.commandId().equals("r7-up2"));
        assertThat(second.failedGeneration()).as(second.message()).isEqualTo(3);
    }

    /** Weakness: a rollback of a distro that will not start reads its generations from WSL's system distro. */
    @Test
    void aRollbackWithoutTargetOfADistroThatWillNotStartGoesToTheGenerationBefore() throws Exception {
        Path wslState = tmp.resolve("ws-r8-wsl");
        Agent agent = agent("ws-r8", wslState);
        String id = installed(agent, "r8-install");
        // the user made a configuration that does not boot the default (nixos-rebuild boot), then WSL stopped it
        Path root = wslState.resolve("distros/NixOS/rootfs");
        String broken = "/nix/store/0000000000000000000000000000000b-nixos-system-broken";
        Files.createDirectories(root.resolve(broken.substring(1)).resolve("bin"));
        Files.writeString(root.resolve(broken.substring(1)).resolve(DemoRoot.FAULT_FILE), "noboot");
        Files.writeString(root.resolve(broken.substring(1)).resolve("bin/switch-to-configuration"), "#!/bin/sh\n");
        Path profiles = root.resolve("nix/var/nix/profiles");
        Files.createSymbolicLink(profiles.resolve("system-2-link"), Path.of(broken));
        Files.delete(profiles.resolve("system"));
        Files.createSymbolicLink(profiles.resolve("system"), Path.of("system-2-link"));
        wsl(wslState, "--terminate", "NixOS");

        send(new RollbackCommand("r8-rollback", id, "NixOS", null, "operator", soon()));
        CommandResult r = await(CommandResult.class, x -> x.commandId().equals("r8-rollback"));
        assertThat(r.outcome()).as(r.message()).isEqualTo(CommandOutcome.ROLLED_BACK);
        assertThat(r.health().generation()).isEqualTo(1);
        assertThat(r.health().systemState()).isEqualTo("running");
    }

    /** Left by the first pass at #12: a rollback that timed out ended ROLLBACK_FAILED, on the generation that failed. */
    @Test
    void aRollbackThatTimesOutIsTriedAgainAfterStoppingTheDistroAndEndsOnTheOldGeneration() throws Exception {
        Path wslState = tmp.resolve("ws-r9-wsl");
        Agent agent = agent("ws-r9", wslState, Map.of("FLEET_WSL_TIMEOUT_SECONDS", "3"));
        String id = installed(agent, "r9-install");
        ReleaseRef degraded = publish(store, "25.05.609", DemoRoot.Fault.DEGRADED);
        StandInFaults.inject(wslState, StandInFaults.HANG, "--switch-generation@1"); // the rollback's first switch hangs
        send(new UpgradeCommand("r9-upgrade", id, "NixOS", degraded, UpgradeMode.IN_PLACE, false, soon()));
        CommandResult r = await(CommandResult.class, x -> x.commandId().equals("r9-upgrade"));
        assertThat(r.outcome()).as(r.message()).isEqualTo(CommandOutcome.ROLLED_BACK);
        assertThat(r.reason()).isEqualTo(FailureReason.ACTIVATION_FAILED);
        assertThat(r.health().systemState()).isEqualTo("running");
        assertThat(r.health().systemPath()).isEqualTo(release.systemPath());
        assertThat(profileLink(wslState)).isEqualTo("system-1-link");
        String calls = Files.readString(wslState.resolve(io.wslfleet.wslstandin.WslStandIn.CALLS));
        assertThat(calls).as("the distro was terminated before the second try")
                .containsSubsequence("--switch-generation", "--terminate NixOS", "--switch-generation");
        assertThat(calls.split("--switch-generation", -1)).as("two tries").hasSize(3);
    }

    /** Left by the first pass at #12: a reimport that succeeded left the user's /home in the backup only. */
    @org.junit.jupiter.params.ParameterizedTest(name = "on {0} WSL")
    @org.junit.jupiter.params.provider.EnumSource(UpgradeSteps.Flavour.class)
    void aReimportThatSucceedsCarriesHomeOver(UpgradeSteps.Flavour flavour) throws Exception {
        String machine = "ws-r10-" + flavour.name().toLowerCase();
        Path wslState = tmp.resolve(machine + "-wsl");
        if (flavour.fault != null) {
            StandInFaults.inject(wslState, flavour.fault, "");
        }
        Agent agent = agent(machine, wslState);
        String id = installed(agent, machine + "-install");
        Path rootfs = wslState.resolve("distros/NixOS/rootfs");
        Files.writeString(rootfs.resolve("home/nixos/notes.txt"), "keep me");
        Files.createDirectories(rootfs.resolve("home/nixos/.config/app"));
        Files.writeString(rootfs.resolve("home/nixos/.config/app/settings"), "dark=true");
        ReleaseRef next = publish(store, "25.05.61" + flavour.ordinal(), DemoRoot.Fault.NONE);
        send(new UpgradeCommand(machine + "-reimport", id, "NixOS", next, UpgradeMode.REIMPORT, false, soon()));
        CommandResult r = await(CommandResult.class, x -> x.commandId().equals(machine + "-reimport"));
        assertThat(r.outcome()).as(r.message()).isEqualTo(CommandOutcome.SUCCEEDED);
        assertThat(r.health().systemPath()).isEqualTo(next.systemPath());
        assertThat(rootfs.resolve("home/nixos/notes.txt")).hasContent("keep me");
        assertThat(rootfs.resolve("home/nixos/.config/app/settings")).hasContent("dark=true");
        assertThat(Files.readString(wslState.resolve(io.wslfleet.wslstandin.WslStandIn.CALLS)))
                .as("unregistered only after /home was saved").containsSubsequence("-czf", "--unregister NixOS", "-xzf");
    }

    /** The fresh install got the saved /home, then failed to verify: the backup (old system, old /home) comes back. */
    @Test
    void aReimportThatFailsAfterHomeWasRestoredEndsOnTheOldDistro() throws Exception {
        Path wslState = tmp.resolve("ws-r11-wsl");
        StandInFaults.inject(wslState, StandInFaults.OLDER, "");
        Agent agent = agent("ws-r11", wslState);
        String id = installed(agent, "r11-install");
        Path home = wslState.resolve("distros/NixOS/rootfs/home/nixos/notes.txt");
        Files.writeString(home, "keep me");
        ReleaseRef degraded = publish(store, "25.05.620", DemoRoot.Fault.DEGRADED);
        send(new UpgradeCommand("r11-reimport", id, "NixOS", degraded, UpgradeMode.REIMPORT, false, soon()));
        CommandResult r = await(CommandResult.class, x -> x.commandId().equals("r11-reimport"));
        assertThat(r.outcome()).as(r.message()).isEqualTo(CommandOutcome.ROLLED_BACK);
        assertThat(r.health().systemPath()).isEqualTo(release.systemPath());
        assertThat(r.health().systemState()).isEqualTo("running");
        assertThat(home).hasContent("keep me");
        assertThat(distrosOf(wslState)).isEqualTo("NixOS");
        assertThat(Files.readString(wslState.resolve(io.wslfleet.wslstandin.WslStandIn.CALLS)))
                .as("the failure came after /home was restored into the fresh install")
                .containsSubsequence("--unregister NixOS", "-xzf", "is-system-running", "--unregister NixOS", "--import NixOS");
    }
}
