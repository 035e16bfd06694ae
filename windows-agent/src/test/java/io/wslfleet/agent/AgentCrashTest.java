package io.wslfleet.agent;

import io.wslfleet.protocol.events.FailureReason;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import io.wslfleet.buildworker.DemoRoot;
import io.wslfleet.protocol.events.CommandOutcome;
import io.wslfleet.protocol.events.CommandProgress;
import io.wslfleet.protocol.events.CommandResult;
import io.wslfleet.protocol.events.InstallCommand;
import io.wslfleet.protocol.events.ReleaseRef;
import io.wslfleet.protocol.events.UpgradeCommand;
import io.wslfleet.protocol.events.UpgradeMode;
import io.wslfleet.wslstandin.StandInFaults;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The agent as its own process, killed (SIGKILL) in the middle of an upgrade, right after the system profile was
 * repointed, and started again: the distro ends verified on the new generation, or back on the old one.
 */
class AgentCrashTest extends AgentTestSupport {

    private Process agent;

    @AfterEach
    void killAgent() {
        if (agent != null) {
            agent.descendants().forEach(ProcessHandle::destroyForcibly);
            agent.destroyForcibly();
        }
    }

    private void killDuringActivation(String machine, Path wslState, String commandId) throws Exception {
        await(CommandProgress.class, p -> p.commandId().equals(commandId) && p.step().equals("ACTIVATING"));
        // the profile was repointed (nix-env --set) and the agent now hangs in switch-to-configuration boot
        awaitStandInCall(wslState, "boot");
        assertThat(profileLink(wslState)).as("profile repointed").isNotEqualTo("system-1-link");
        agent.descendants().forEach(ProcessHandle::destroyForcibly);
        agent.destroyForcibly();
        assertThat(agent.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        StandInFaults.clear(wslState, StandInFaults.HANG);
        StandInFaults.clear(wslState, StandInFaults.HANGING);
    }

    @Test
    void killedMidUpgradeTheAgentEndsOnTheNewOrTheOldGenerationNeverInBetween() throws Exception {
        Path wslState = tmp.resolve("ws-k-wsl");
        String id = "ws-k/dev";
        agent = launch("ws-k", wslState);
        send(new InstallCommand("cmd-k1", id, "NixOS", release, Instant.now().plusSeconds(300)));
        assertThat(await(CommandResult.class, r -> r.commandId().equals("cmd-k1")).outcome()).isEqualTo(CommandOutcome.SUCCEEDED);

        // a healthy release: after the restart the new generation is verified and the upgrade counts as done
        ReleaseRef good = publish(store, "25.05.20", DemoRoot.Fault.NONE);
        StandInFaults.inject(wslState, StandInFaults.HANG, "boot");
        send(new UpgradeCommand("cmd-k2", id, "NixOS", good, UpgradeMode.IN_PLACE, false, Instant.now().plusSeconds(300)));
        killDuringActivation("ws-k", wslState, "cmd-k2");
        agent = launch("ws-k", wslState);
        CommandResult done = await(CommandResult.class, r -> r.commandId().equals("cmd-k2"));
        assertThat(done.outcome()).as(done.message()).isEqualTo(CommandOutcome.SUCCEEDED);
        assertThat(done.health().systemPath()).isEqualTo(good.systemPath());
        assertThat(done.health().generation()).isEqualTo(2);

        // a release that comes up degraded: after the restart the agent rolls back to generation 2
        ReleaseRef bad = publish(store, "25.05.21", DemoRoot.Fault.DEGRADED);
        StandInFaults.inject(wslState, StandInFaults.HANG, "boot");
        send(new UpgradeCommand("cmd-k3", id, "NixOS", bad, UpgradeMode.IN_PLACE, false, Instant.now().plusSeconds(300)));
        killDuringActivation("ws-k", wslState, "cmd-k3");
        agent = launch("ws-k", wslState);
        CommandResult back = await(CommandResult.class, r -> r.commandId().equals("cmd-k3"));
        assertThat(back.outcome()).as(back.message()).isEqualTo(CommandOutcome.ROLLED_BACK);
        assertThat(back.reason()).isEqualTo(FailureReason.AGENT_RESTARTED);
        assertThat(back.health().generation()).isEqualTo(2);
        assertThat(back.health().systemPath()).isEqualTo(good.systemPath());
        assertThat(back.health().systemState()).isEqualTo("running");
        List<CommandResult> all = events(CommandResult.class, r -> r.commandId().equals("cmd-k3"));
        assertThat(all).allSatisfy(r -> assertThat(r.outcome()).isEqualTo(CommandOutcome.ROLLED_BACK));
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "killed while running {0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"-xzf", "copy", "--set", "boot"})
    void killedAtEachStepOfAnUpgradeTheDistroEndsOnTheNewOrTheOldGeneration(String step) throws Exception {
        String machine = "ws-s" + Math.abs(step.hashCode() % 1000);
        String id = machine + "/dev";
        Path wslState = tmp.resolve(machine + "-wsl");
        agent = launch(machine, wslState);
        send(new InstallCommand(machine + "-install", id, "NixOS", release, Instant.now().plusSeconds(300)));
        assertThat(await(CommandResult.class, r -> r.commandId().equals(machine + "-install")).outcome())
                .isEqualTo(CommandOutcome.SUCCEEDED);

        ReleaseRef next = publish(store, "25.05.4" + Math.abs(step.hashCode() % 10) + "0", DemoRoot.Fault.NONE);
        StandInFaults.inject(wslState, StandInFaults.HANG, step);
        send(new UpgradeCommand(machine + "-upgrade", id, "NixOS", next, UpgradeMode.IN_PLACE, false,
                Instant.now().plusSeconds(300)));
        awaitStandInCall(wslState, step);
        agent.descendants().forEach(ProcessHandle::destroyForcibly);
        agent.destroyForcibly();
        assertThat(agent.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        StandInFaults.clear(wslState, StandInFaults.HANG);
        StandInFaults.clear(wslState, StandInFaults.HANGING);
        agent = launch(machine, wslState);

        CommandResult result = await(CommandResult.class, r -> r.commandId().equals(machine + "-upgrade"));
        assertThat(result.health().systemState()).as(result.message()).isEqualTo("running");
        if (result.outcome() == CommandOutcome.SUCCEEDED) {
            assertThat(result.health().systemPath()).isEqualTo(next.systemPath());
        } else {
            assertThat(result.health().systemPath()).as(result.message()).isEqualTo(release.systemPath());
            assertThat(result.health().generation()).isEqualTo(1);
        }
        Path profile = wslState.resolve("distros/NixOS/rootfs/nix/var/nix/profiles/system");
        String link = Files.readSymbolicLink(profile).toString();
        String target = Files.readSymbolicLink(profile.resolveSibling(link)).toString();
        assertThat(target).as("the profile and what runs agree").isEqualTo(result.health().systemPath());
    }
}
