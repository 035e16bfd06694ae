package io.wslfleet.protocol.events;

/**
 * An event from one agent, keyed by agent id. Events are ordered by {@link #epoch()} then {@link #sequence()}:
 * the epoch is the instant (epoch milliseconds) the agent's state was created, new whenever an agent starts on a
 * fresh state (first install, wiped or reinstalled state directory); the sequence grows by one with every event an
 * agent emits within its epoch. The orchestrator takes an event only when its (epoch, sequence) is above the last
 * it applied for that agent, so a stale or re-delivered event changes nothing and a reinstalled agent, whose
 * sequence starts again at 1, is heard again because its epoch is later. Epoch 0 is an agent from before epochs.
 */
public sealed interface AgentEvent extends EventData
        permits AgentRegistered, AgentHeartbeat, CommandProgress, CommandResult, CommandRefused {
    String agentId();

    long epoch();

    long sequence();

    /** The same event at a given position in the agent's order. */
    AgentEvent at(long epoch, long sequence);

    @Override
    default String key() {
        return agentId();
    }

    static long checkEpoch(long epoch) {
        return Require.nonNegative(epoch, "epoch");
    }

    /** 0 is an event not numbered yet (the agent numbers it as it sends it); on the bus a sequence starts at 1. */
    static long checkSequence(long sequence) {
        return Require.nonNegative(sequence, "sequence");
    }
}
