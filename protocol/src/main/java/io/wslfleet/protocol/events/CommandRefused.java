package io.wslfleet.protocol.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.wslfleet.protocol.RejectReason;

/**
 * An agent's word that it refused a record on {@code fleet.commands} keyed to it without running anything: unsigned
 * or wrongly signed ({@link RejectReason#UNAUTHENTICATED}), addressed to another agent
 * ({@link RejectReason#NOT_YOUR_COMMAND}), seen before ({@link RejectReason#REPLAYED}), past its deadline
 * ({@link RejectReason#EXPIRED}), or unreadable. It never changes a deployment (a forged command's id may be a real
 * one); the orchestrator audits and counts it. The record itself also goes to {@code fleet.dead-letter}.
 *
 * @param commandId the refused record's command id when it could be read, else its {@code ce_id}, else null
 * @param eventType the refused record's {@code ce_type}, when it had a readable one
 * @param detail    what was wrong, for a person
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record CommandRefused(String agentId, long epoch, long sequence, String commandId, String eventType,
                             RejectReason reason, String detail) implements AgentEvent {
    public CommandRefused {
        AgentId.check(agentId, "agentId");
        AgentEvent.checkEpoch(epoch);
        AgentEvent.checkSequence(sequence);
        if (commandId != null) {
            Require.id(commandId, "commandId");
        }
        eventType = Require.name(eventType, "eventType", 128);
        Require.nonNull(reason, "reason");
        detail = Require.text(detail, Require.MAX_MESSAGE);
    }

    @Override
    public CommandRefused at(long newEpoch, long newSequence) {
        return new CommandRefused(agentId, newEpoch, newSequence, commandId, eventType, reason, detail);
    }
}
