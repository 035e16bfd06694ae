package io.wslfleet.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import io.wslfleet.agent.UpgradeSteps.Flavour;
import io.wslfleet.agent.UpgradeSteps.Interruption;
import io.wslfleet.buildworker.ArtifactServer;
import io.wslfleet.buildworker.ArtifactStore;
import io.wslfleet.buildworker.DemoRoot;
import io.wslfleet.protocol.events.AgentCommand;
import io.wslfleet.protocol.events.CommandOutcome;
import io.wslfleet.protocol.events.CommandResult;
import io.wslfleet.protocol.events.InstallCommand;
import io.wslfleet.protocol.events.ReleaseRef;
import io.wslfleet.protocol.events.UpgradeCommand;
import io.wslfleet.protocol.events.UpgradeMode;
import io.wslfleet.protocol.release.Ed25519;
import io.wslfleet.wslstandin.StandInFaults;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The whole matrix: every step of an in-place upgrade and of a reimport ({@link UpgradeSteps}) × timed out, idle
 * stop, agent killed × current, older and inbox WSL (153 cases). Each ends on the new generation verified or the old
 * one restored, {@code /home} intact (a reimport that succeeded carries it over), the profile and what runs
 * agreeing, and the fault did happen at that step.
 *
 * <p>Why in process: a case against the stand-in as a process costs about 8 s here (agent start, install, a 5 s
 * timeout and its escalation, the Kafka round trips; a wsl.exe call is a JVM start of about 0.1 s, some 40 of them a
 * case), so the whole matrix would take over 20 minutes of CI. This test runs the same stand-in code on the same
 * state and faults inside the test JVM ({@link InProcessStandIn} behind the real {@link WslDriver}), and the agent's
 * real steps ({@link DistroSteps}, {@link CommandDispatcher}) without Kafka; a hang counts as timed out at once
 * instead of after the timeout; an agent kill unwinds the agent's code and a new one starts on the same state
 * directory, recovering as {@code Agent.start} does (the change in flight first, else the redelivered command runs
 * again). {@link UpgradeInterruptedAtEachStepTest} covers every step, every interruption and every flavour at least
 * once with the agent and the stand-in as separate processes over Kafka, for what only processes show (a killed
 * process tree, a JVM that really dies).
 */
class UpgradeInterruptedMatrixTest {

    @TempDir
    static Path tmp;
    static ArtifactServer server;
    static TestReleases releases;
    static ReleaseRef release;
    static ReleaseRef next;
    static final KeyPair KEY = Ed25519.generate();
    static final String ORCHESTRATOR = "orch-1=" + Ed25519.encode(Ed25519.generate().getPublic());
    private static final Steps QUIET = (step, done, total, message) -> { };

    @BeforeAll
    static void releases() throws Exception {
        ArtifactStore store = new ArtifactStore(tmp.resolve("store"));
        server = new ArtifactServer(store, "127.0.0.1", 0, null);
        releases = new TestReleases(tmp, KEY, store, server);
        release = releases.publish("25.05.2", DemoRoot.Fault.NONE);
        next = releases.publish("25.05.3", DemoRoot.Fault.NONE);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (UpgradeMode mode : List.of(UpgradeMode.IN_PLACE, UpgradeMode.REIMPORT)) {
            for (Flavour flavour : Flavour.values()) {
                for (String step : UpgradeSteps.of(mode, flavour)) {
                    for (Interruption how : Interruption.values()) {
                        all.add(Arguments.of(how, step, mode, flavour));
                    }
                }
            }
        }
        return all.stream();
    }

    /** One agent's steps on a state directory, as {@code Agent} wires them, without Kafka. */
    private static final class InProcessAgent {
        final InProcessStandIn wsl;
        final AgentState state;
        final CommandDispatcher dispatcher;

        InProcessAgent(Path wslState, Path agentDir) {
            AgentConfig config = AgentConfig.fromEnv(Map.of("FLEET_AGENT_MACHINE_ID", "ws-matrix",
                    "FLEET_AGENT_WINDOWS_USER", "dev", "FLEET_TRUSTED_KEYS", "k1=" + Ed25519.encode(KEY.getPublic()),
                    "FLEET_TRUST_ORCHESTRATOR_KEYS", ORCHESTRATOR, "FLEET_AGENT_STATE_DIR", agentDir.toString(),
                    "FLEET_WSL_TIMEOUT_SECONDS", "60", "FLEET_VERIFY_TIMEOUT_SECONDS", "60"));
            wsl = new InProcessStandIn(wslState);
            state = new AgentState(agentDir);
            dispatcher = new CommandDispatcher(config.agentId(),
                    new DistroSteps(config, new WslDriver(wsl, config.wslTimeout()), state, Clock.systemUTC()),
                    Clock.systemUTC());
        }

        /** As {@code Agent.handleCommand}: run, store the result, end the change. */
        CommandResult handle(AgentCommand command) {
            CommandResult result = dispatcher.execute(command, QUIET);
            state.saveResult(result);
            state.endChange();
            return result;
        }

        /** As a restarted agent: the change in flight is recovered first; else the redelivered command runs again. */
        CommandResult restartedWith(AgentCommand redelivered) {
            var change = state.inFlight();
            if (change.isEmpty()) {
                return handle(redelivered);
            }
            CommandResult result = dispatcher.recovered(change.get(), QUIET);
            state.saveResult(result);
            state.endChange();
            return result;
        }
    }

    @ParameterizedTest(name = "{0} at {1} of {2} on {3} WSL")
    @MethodSource("cases")
    void interruptedAnywhereTheDistroEndsOnTheNewOrTheOldGenerationWithHomeIntact(Interruption how, String step,
            UpgradeMode mode, Flavour flavour) throws Exception {
        String id = how + "-" + step.replaceAll("[^A-Za-z0-9]", "") + "-" + mode + "-" + flavour;
        Path wslState = tmp.resolve(id + "-wsl");
        Path agentDir = tmp.resolve(id + "-agent");
        if (flavour.fault != null) {
            StandInFaults.inject(wslState, flavour.fault, "");
        }
        InProcessAgent agent = new InProcessAgent(wslState, agentDir);
        CommandResult installed = agent.handle(new InstallCommand(id + "-install", "ws-matrix/dev", "NixOS", release,
                Instant.now().plusSeconds(300)));
        assertThat(installed.outcome()).as(installed.message()).isEqualTo(CommandOutcome.SUCCEEDED);
        Path home = wslState.resolve("distros/NixOS/rootfs/home/nixos/notes.txt");
        Files.writeString(home, "work in progress");

        StandInFaults.inject(wslState, how == Interruption.IDLE ? StandInFaults.IDLE_STOP : StandInFaults.HANG, step);
        if (how == Interruption.KILL) {
            agent.wsl.killAgentAtHang();
        }
        UpgradeCommand upgrade = new UpgradeCommand(id + "-upgrade", "ws-matrix/dev", "NixOS", next, mode, false,
                Instant.now().plusSeconds(300));
        CommandResult result;
        try {
            result = agent.handle(upgrade);
            assertThat(how).as("the agent ran on although it was killed").isNotEqualTo(Interruption.KILL);
        } catch (InProcessStandIn.AgentKilled killed) {
            assertThat(how).isEqualTo(Interruption.KILL);
            result = new InProcessAgent(wslState, agentDir).restartedWith(upgrade);
        }

        Path faults = wslState.resolve("faults");
        if (how == Interruption.IDLE) {
            assertThat(faults.resolve(StandInFaults.IDLE_STOPPED)).as("the idle stop happened").exists();
            assertThat(Files.readString(faults.resolve(StandInFaults.IDLE_STOPPED)).split(" "))
                    .contains(UpgradeSteps.argument(step));
        } else {
            assertThat(agent.wsl.hangs()).as("the call hung at the step").isEqualTo(1);
            assertThat(Files.readString(faults.resolve(StandInFaults.HANGING)).trim().split(" "))
                    .contains(UpgradeSteps.argument(step));
        }
        assertThat(result.health()).as(result.message()).isNotNull();
        assertThat(result.health().systemState()).as(result.message()).isEqualTo("running");
        if (result.outcome() == CommandOutcome.SUCCEEDED) {
            assertThat(result.health().systemPath()).isEqualTo(next.systemPath());
        } else {
            assertThat(result.outcome()).as(result.message()).isIn(CommandOutcome.FAILED, CommandOutcome.ROLLED_BACK);
            assertThat(result.health().systemPath()).as(result.message()).isEqualTo(release.systemPath());
        }
        assertThat(home).as(result.message()).hasContent("work in progress");
        Path profiles = wslState.resolve("distros/NixOS/rootfs/nix/var/nix/profiles");
        assertThat(Files.readSymbolicLink(profiles.resolve(Files.readSymbolicLink(profiles.resolve("system")))).toString())
                .as("the profile and what runs agree").isEqualTo(result.health().systemPath());
        assertThat(agentDir.resolve("inflight.json")).doesNotExist();
    }
}
