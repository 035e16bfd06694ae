package io.wslfleet.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

import io.wslfleet.buildworker.DemoRoot;
import io.wslfleet.protocol.events.CommandOutcome;
import io.wslfleet.protocol.events.CommandResult;
import io.wslfleet.protocol.events.InstallCommand;
import io.wslfleet.protocol.events.ReleaseRef;
import io.wslfleet.protocol.events.UpgradeCommand;
import io.wslfleet.protocol.events.UpgradeMode;
import io.wslfleet.wslstandin.StandInFaults;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * An in-place upgrade and a reimport interrupted at each of their steps: the call timed out (the stand-in hangs in
 * it until the agent kills it), the distro stopped when idle right before it (its next boot activates what the
 * profile points at), or the agent process killed there and started again. Every case ends on the new generation
 * verified or the old one restored ({@code /home} intact, except after a reimport that succeeded: a fresh
 * install), the profile and what runs agreeing. The WSL flavour
 * (current, older 2.3, inbox) rotates over the steps so each is covered without multiplying the runs.
 */
class UpgradeInterruptedAtEachStepTest extends AgentTestSupport {

    private Process process;

    @AfterEach
    void killAgentProcess() {
        if (process != null) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }

    @ParameterizedTest(name = "{0} at {1} on {3} WSL ({2})")
    @CsvSource({
            "timeout, -xzf,          IN_PLACE, current",
            "timeout, copy,          IN_PLACE, older",
            "timeout, --set,         IN_PLACE, inbox",
            "timeout, boot,          IN_PLACE, current",
            "idle,    -xzf,          IN_PLACE, older",
            "idle,    copy,          IN_PLACE, inbox",
            "idle,    --set,         IN_PLACE, current",
            "idle,    boot,          IN_PLACE, older",
            "idle,    --wait,        IN_PLACE, inbox",
            "timeout, --export,      REIMPORT, current",
            "timeout, --unregister,  REIMPORT, older",
            "timeout, --wait,        REIMPORT, inbox",
            "kill,    --unregister,  REIMPORT, current",
            "kill,    --wait,        REIMPORT, older",
    })
    void interruptedTheDistroEndsOnTheNewOrTheOldGenerationWithHomeIntact(String how, String step, UpgradeMode mode,
                                                                          String flavour) throws Exception {
        String machine = "ws-i-" + how + step.replace("-", "") + "-" + mode.name().toLowerCase();
        String id = machine + "/dev";
        Path wslState = tmp.resolve(machine + "-wsl");
        if (!flavour.equals("current")) {
            StandInFaults.inject(wslState, flavour.equals("inbox") ? StandInFaults.INBOX : StandInFaults.OLDER, "");
        }
        boolean kill = how.equals("kill");
        if (kill) {
            process = launch(machine, wslState);
        } else {
            agent(machine, wslState, Map.of("FLEET_WSL_TIMEOUT_SECONDS", "5", "FLEET_VERIFY_TIMEOUT_SECONDS", "5"));
        }
        send(new InstallCommand(machine + "-install", id, "NixOS", release, Instant.now().plusSeconds(300)));
        CommandResult installed = await(CommandResult.class, r -> r.commandId().equals(machine + "-install"));
        assertThat(installed.outcome()).as(installed.message()).isEqualTo(CommandOutcome.SUCCEEDED);
        Path home = wslState.resolve("distros/NixOS/rootfs/home/nixos/notes.txt");
        Files.writeString(home, "work in progress");

        ReleaseRef next = publish(store, "25.05.7" + (machine.hashCode() & 0x7fffffff), DemoRoot.Fault.NONE);
        if (how.equals("idle")) {
            StandInFaults.inject(wslState, StandInFaults.IDLE_STOP, step);
        } else {
            StandInFaults.inject(wslState, StandInFaults.HANG, step);
        }
        send(new UpgradeCommand(machine + "-upgrade", id, "NixOS", next, mode, false, Instant.now().plusSeconds(300)));
        if (!how.equals("idle")) {
            awaitStandInCall(wslState, step);
            StandInFaults.clear(wslState, StandInFaults.HANG); // the call in progress stays stuck until killed
        }
        if (kill) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            assertThat(process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            process = launch(machine, wslState);
        }

        CommandResult result = await(CommandResult.class, r -> r.commandId().equals(machine + "-upgrade"));
        if (how.equals("idle")) {
            assertThat(wslState.resolve("faults").resolve(StandInFaults.IDLE_STOPPED)).as("the idle stop happened").exists();
        }
        assertThat(result.health()).as(result.message()).isNotNull();
        assertThat(result.health().systemState()).as(result.message()).isEqualTo("running");
        if (result.outcome() == CommandOutcome.SUCCEEDED) {
            assertThat(result.health().systemPath()).isEqualTo(next.systemPath());
        } else {
            assertThat(result.outcome()).as(result.message()).isIn(CommandOutcome.FAILED, CommandOutcome.ROLLED_BACK);
            assertThat(result.health().systemPath()).as(result.message()).isEqualTo(release.systemPath());
        }
        if (mode == UpgradeMode.IN_PLACE || result.outcome() != CommandOutcome.SUCCEEDED) {
            // a reimport that succeeded is a fresh install: its /home is the image's (the old one is in the backup)
            assertThat(Files.readString(home)).isEqualTo("work in progress");
        }
        String link = profileLink(wslState);
        Path profiles = wslState.resolve("distros/NixOS/rootfs/nix/var/nix/profiles");
        assertThat(Files.readSymbolicLink(profiles.resolve(link)).toString()).as("the profile and what runs agree")
                .isEqualTo(result.health().systemPath());
    }
}
