package io.wslfleet.protocol.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** Liveness and the last health of the managed distro (null health: not checked yet or no distro). */
@JsonIgnoreProperties(ignoreUnknown = true)
public record AgentHeartbeat(String agentId, long epoch, long sequence, Health health) implements AgentEvent {
    public AgentHeartbeat {
        AgentId.check(agentId, "agentId");
        AgentEvent.checkEpoch(epoch);
        AgentEvent.checkSequence(sequence);
    }

    public AgentHeartbeat(String agentId, long sequence, Health health) {
        this(agentId, 0, sequence, health);
    }

    @Override
    public AgentHeartbeat at(long newEpoch, long newSequence) {
        return new AgentHeartbeat(agentId, newEpoch, newSequence, health);
    }
}
