package io.wslfleet.orchestrator.machine;

import io.wslfleet.protocol.events.CommandProgress;
import io.wslfleet.protocol.events.CommandResult;

/**
 * The commands the fleet sends to machines, as the machine registry needs them: whether a command was issued to a
 * machine, what its agent reports about it, and cutting a machine off from the ones still open. Rollouts issue the
 * commands ({@code rollout.RolloutEngine} implements this); the interface lives here so that {@code machine} does not
 * depend on {@code rollout}, which selects machines through {@link MachineQuery}.
 */
public interface MachineCommands {

    /** Whether {@code commandId} names a command (or rollback command) issued to that machine. */
    boolean issuedTo(String machineId, String commandId);

    /** A step an agent reports for a command it is carrying out. */
    void onProgress(CommandProgress progress);

    /** An agent's final word on a command. */
    void onResult(CommandResult result);

    /** The machine is cut off (revoked, decommissioned): its unfinished work is cancelled. Returns how many. */
    int cutOff(String machineId, String why);
}
