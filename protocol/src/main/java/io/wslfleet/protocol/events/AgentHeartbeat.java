package io.wslfleet.protocol.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** Liveness and the last health of the managed distro (null health: not checked yet or no distro). */
@JsonIgnoreProperties(ignoreUnknown = true)
public record AgentHeartbeat(String agentId, long sequence, Health health) implements AgentEvent {
    public AgentHeartbeat {
        Require.nonBlank(agentId, "agentId");
    }
}
