package io.wslfleet.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import io.wslfleet.agent.UpgradeSteps.Flavour;
import io.wslfleet.agent.UpgradeSteps.Interruption;

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
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * An in-place upgrade and a reimport interrupted at each of their steps ({@link UpgradeSteps}), with the agent and
 * the stand-in wsl.exe as separate processes over Kafka: the call timed out (the stand-in hangs in it until the agent
 * kills its process tree), the distros stopped when idle right before it (the next boot activates what the profile
 * points at), or the agent process killed while the call hung and started again. Every case ends on the new
 * generation verified or the old one restored, {@code /home} intact (a reimport that succeeded carries it over), the
 * profile and what runs agreeing.
 *
 * <p>Rotated, not the full product: a process case costs about 8 s here (the agent's start and Kafka round trips,
 * the install, a 5 s timeout and its escalation; each wsl.exe call a JVM start of about 0.1 s), so the 153 cases of
 * steps × interruptions × flavours would take over 20 minutes. These 17 cases cover every step once, and each
 * interruption with each flavour (current, older 2.3, inbox) at least once; steps whose call has the long backup
 * timeout (export, saving and unpacking /home: 5 × the wsl timeout) are never the timed-out ones.
 * {@link UpgradeInterruptedMatrixTest} runs the full product against the same stand-in code in process.
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

    /** In place: interruption and flavour rotate so each pair comes once; reimport: offset, no long-timeout hang. */
    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        Interruption[] hows = Interruption.values();
        Flavour[] flavours = Flavour.values();
        for (int j = 0; j < UpgradeSteps.IN_PLACE.size(); j++) {
            all.add(Arguments.of(hows[j % 3], UpgradeSteps.IN_PLACE.get(j), UpgradeMode.IN_PLACE, flavours[(j / 3) % 3]));
        }
        for (int j = 0; j < UpgradeSteps.reimport(Flavour.CURRENT).size(); j++) {
            Flavour flavour = flavours[(j / 3 + 1) % 3];
            all.add(Arguments.of(hows[(j + 1) % 3], UpgradeSteps.reimport(flavour).get(j), UpgradeMode.REIMPORT, flavour));
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} at {1} of {2} on {3} WSL")
    @MethodSource("cases")
    void interruptedTheDistroEndsOnTheNewOrTheOldGenerationWithHomeIntact(Interruption how, String step,
            UpgradeMode mode, Flavour flavour) throws Exception {
        String machine = "ws-i-" + how.name().toLowerCase() + step.replaceAll("[^A-Za-z0-9]", "") + "-"
                + mode.name().toLowerCase();
        String id = machine + "/dev";
        Path wslState = tmp.resolve(machine + "-wsl");
        if (flavour.fault != null) {
            StandInFaults.inject(wslState, flavour.fault, "");
        }
        boolean kill = how == Interruption.KILL;
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
        StandInFaults.inject(wslState, how == Interruption.IDLE ? StandInFaults.IDLE_STOP : StandInFaults.HANG, step);
        send(new UpgradeCommand(machine + "-upgrade", id, "NixOS", next, mode, false, Instant.now().plusSeconds(300)));
        if (how != Interruption.IDLE) {
            awaitStandInCall(wslState, UpgradeSteps.argument(step));
        }
        if (kill) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            assertThat(process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            process = launch(machine, wslState);
        }

        CommandResult result = await(CommandResult.class, r -> r.commandId().equals(machine + "-upgrade"));
        if (how == Interruption.IDLE) {
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
        assertThat(Files.readString(home)).as(result.message()).isEqualTo("work in progress");
        String link = profileLink(wslState);
        Path profiles = wslState.resolve("distros/NixOS/rootfs/nix/var/nix/profiles");
        assertThat(Files.readSymbolicLink(profiles.resolve(link)).toString()).as("the profile and what runs agree")
                .isEqualTo(result.health().systemPath());
    }
}
