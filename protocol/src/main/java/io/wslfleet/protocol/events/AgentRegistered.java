package io.wslfleet.protocol.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** Registration and inventory: sent at start and whenever the inventory changes. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record AgentRegistered(String agentId, long sequence, String agentVersion, Inventory inventory)
        implements AgentEvent {
    public AgentRegistered {
        Require.nonBlank(agentId, "agentId");
        Require.nonNull(inventory, "inventory");
    }
}
