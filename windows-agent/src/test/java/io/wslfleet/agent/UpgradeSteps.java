package io.wslfleet.agent;

import java.util.List;

import io.wslfleet.protocol.events.UpgradeMode;
import io.wslfleet.wslstandin.StandInFaults;

/**
 * The steps of an in-place upgrade and of a reimport, each named by the argument of the wsl.exe call that does it,
 * as the stand-in's faults name a call ({@code ARG@N}: the Nth call with that argument after the fault is injected).
 * The interrupted-upgrade tests take their steps from here, so the process matrix and the in-process one cover the
 * same list.
 */
final class UpgradeSteps {

    /** How an upgrade is interrupted at a step. */
    enum Interruption {
        /** the call hangs: the agent's timeout ends it */
        TIMEOUT,
        /** WSL stopped the distros when idle just before the call: its boot activates what the profile names */
        IDLE,
        /** the agent process dies while the call hangs, and starts again */
        KILL
    }

    /** The WSL releases the agent meets: current (2.5), older (2.3, no {@code --install --from-file}), inbox. */
    enum Flavour {
        CURRENT(null), OLDER(StandInFaults.OLDER), INBOX(StandInFaults.INBOX);

        final String fault;

        Flavour(String fault) {
            this.fault = fault;
        }
    }

    private UpgradeSteps() {
    }

    /**
     * In place: the health probe before, the release's path in the distro, unpack, {@code nix copy}, removing the
     * unpacked tree, {@code nix-env --set} (the profile moves), {@code switch-to-configuration boot}, the restart,
     * the verifying probe.
     */
    static final List<String> IN_PLACE = List.of("--wait@1", "wslpath@1", "-xzf@1", "copy@1", "-rf@1", "--set@1",
            "boot@1", "--terminate@1", "--wait@2");

    /**
     * Reimport: terminate and export (the backup), the path of the /home copy, saving /home, unregister, the fresh
     * registration ({@code --install --from-file} on current WSL, {@code --import} before), unpacking /home into it,
     * the verifying probe.
     */
    static List<String> reimport(Flavour flavour) {
        return List.of("--terminate@1", "--export@1", "wslpath@1", "-czf@1", "--unregister@1",
                flavour == Flavour.CURRENT ? "--install@1" : "--import@1", "-xzf@1", "--wait@1");
    }

    static List<String> of(UpgradeMode mode, Flavour flavour) {
        return mode == UpgradeMode.IN_PLACE ? IN_PLACE : reimport(flavour);
    }

    /** The argument a step names, without its {@code @N}. */
    static String argument(String step) {
        int at = step.lastIndexOf('@');
        return at > 0 ? step.substring(0, at) : step;
    }
}
