package io.wslfleet.agent;

import io.wslfleet.protocol.events.FailureReason;

import java.time.Clock;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.wslfleet.protocol.EventType;
import io.wslfleet.protocol.events.AgentCommand;
import io.wslfleet.protocol.events.BackupCommand;
import io.wslfleet.protocol.events.CommandResult;
import io.wslfleet.protocol.events.Health;
import io.wslfleet.protocol.events.HealthCheckCommand;
import io.wslfleet.protocol.events.InstallCommand;
import io.wslfleet.protocol.events.RollbackCommand;
import io.wslfleet.protocol.events.UpgradeCommand;

/** Runs one command on the distro steps and turns what happened into its result (sequence given when sent). */
final class CommandDispatcher {

    private static final Logger LOG = Logger.getLogger(CommandDispatcher.class.getName());

    private final String agentId;
    private final DistroSteps steps;
    private final Clock clock;

    CommandDispatcher(String agentId, DistroSteps steps, Clock clock) {
        this.agentId = agentId;
        this.steps = steps;
        this.clock = clock;
    }

    CommandResult execute(AgentCommand command, Steps progress) {
        String type = EventType.of(command).ceType();
        if (command.deadline() != null && clock.instant().isAfter(command.deadline())) {
            return result(command, type, Outcome.refused(FailureReason.DEADLINE_PASSED,
                    "received after its deadline " + command.deadline(), null));
        }
        try {
            return result(command, type, run(command, type, progress));
        } catch (WslException e) {
            return result(command, type, Outcome.failed(FailureReasons.of(e), e.getMessage(),
                    steps.health.probeQuietly(command.distroName())));
        } catch (Exception e) {
            LOG.log(Level.WARNING, "command " + command.commandId() + " failed", e);
            return result(command, type, Outcome.failed(FailureReason.AGENT_ERROR, e.getClass().getSimpleName() + ": "
                    + e.getMessage(), steps.health.probeQuietly(command.distroName())));
        }
    }

    private Outcome run(AgentCommand command, String type, Steps progress) throws Exception {
        if (command instanceof InstallCommand install) {
            return steps.installer.install(install, progress);
        } else if (command instanceof UpgradeCommand upgrade) {
            return steps.upgrade.upgrade(upgrade, progress);
        } else if (command instanceof BackupCommand backup) {
            return steps.upgrade.backup(backup, progress);
        } else if (command instanceof RollbackCommand rollback) {
            return steps.rollback.onCommand(rollback, progress);
        } else if (command instanceof HealthCheckCommand) {
            Health health = steps.health.probe(command.distroName());
            return health.healthy() ? Outcome.succeeded("system is " + health.systemState(), health)
                    : Outcome.failed(FailureReason.UNHEALTHY, "system is " + health.systemState(), health);
        }
        return Outcome.refused(FailureReason.UNSUPPORTED_COMMAND, type + " is not supported by agent " + Agent.VERSION, null);
    }

    /** The interrupted change's result, for the command that was running when the agent stopped. */
    CommandResult recovered(AgentState.InFlight change, Steps progress) {
        Outcome outcome;
        try {
            outcome = steps.recovery.recover(change, progress);
        } catch (Exception e) {
            LOG.log(Level.WARNING, "recovery after restart failed", e);
            outcome = Outcome.rollbackFailed(FailureReason.AGENT_RESTARTED, "recovery after restart failed: " + e.getMessage(),
                    steps.health.probeQuietly(change.distro()));
        }
        return toResult(change.commandId(), EventType.UPGRADE_COMMAND.ceType(), outcome);
    }

    private CommandResult result(AgentCommand command, String type, Outcome o) {
        return toResult(command.commandId(), type, o);
    }

    private CommandResult toResult(String commandId, String type, Outcome o) {
        return new CommandResult(agentId, 0, commandId, type, o.outcome(), o.reason(), o.message(), o.health(),
                o.failedGeneration(), o.failedUnits(), o.logTail());
    }
}
