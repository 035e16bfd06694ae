package io.wslfleet.protocol.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** Registration and inventory: sent at start and whenever the inventory changes. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record AgentRegistered(String agentId, long epoch, long sequence, String agentVersion, Inventory inventory)
        implements AgentEvent {
    public AgentRegistered {
        AgentId.check(agentId, "agentId");
        AgentEvent.checkEpoch(epoch);
        AgentEvent.checkSequence(sequence);
        Require.name(agentVersion, "agentVersion", 64);
        Require.nonNull(inventory, "inventory");
        if (!agentId.equals(AgentId.of(inventory.machineId(), inventory.windowsUser()))) {
            throw new IllegalArgumentException("inventory names " + inventory.machineId() + "/"
                    + inventory.windowsUser() + ", not the agent " + agentId);
        }
    }

    public AgentRegistered(String agentId, long sequence, String agentVersion, Inventory inventory) {
        this(agentId, 0, sequence, agentVersion, inventory);
    }

    @Override
    public AgentRegistered at(long newEpoch, long newSequence) {
        return new AgentRegistered(agentId, newEpoch, newSequence, agentVersion, inventory);
    }
}
