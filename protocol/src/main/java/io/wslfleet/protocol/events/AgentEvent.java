package io.wslfleet.protocol.events;

/**
 * An event from one agent, keyed by agent id. {@link #sequence()} grows by one with every event an agent emits, so
 * the orchestrator recognises stale and out-of-order events.
 */
public sealed interface AgentEvent extends EventData
        permits AgentRegistered, AgentHeartbeat, CommandProgress, CommandResult {
    String agentId();

    long sequence();

    @Override
    default String key() {
        return agentId();
    }
}
