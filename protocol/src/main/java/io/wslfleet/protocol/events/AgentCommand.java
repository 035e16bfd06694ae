package io.wslfleet.protocol.events;

import java.time.Instant;

/** A command to one agent, keyed by agent id. Agents execute each command id at most once. */
public sealed interface AgentCommand extends EventData
        permits InstallCommand, UpgradeCommand, RollbackCommand, BackupCommand, HealthCheckCommand {
    String commandId();

    /** {@code <machine id>/<windows user>}, see {@link AgentId}. */
    String agentId();

    /** The WSL distro the command is about, {@code NixOS} by default. */
    String distroName();

    /** After this instant the orchestrator counts silence as failure; the agent does not start a command past it. */
    Instant deadline();

    @Override
    default String key() {
        return agentId();
    }
}
