package io.wslfleet.orchestrator.bus;

import io.wslfleet.protocol.RejectReason;

/**
 * An event refused while it was being applied, for a reason of trust (not signed by its machine's key, not from its
 * machine, an answer to another machine's command, a machine not admitted): unlike a {@link RejectedEvent} it does not
 * roll back its batch, since what the refusal itself records (a key offered for re-key) must stay; the consumer
 * dead-letters it, counts and audits it once the batch committed.
 */
public record Refusal(RejectReason reason, String detail) {
}
