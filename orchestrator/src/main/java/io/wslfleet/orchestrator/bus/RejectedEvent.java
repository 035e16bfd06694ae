package io.wslfleet.orchestrator.bus;

import io.wslfleet.protocol.RejectReason;

/**
 * Thrown while applying an event whose data the consumer will never accept, however often it tries: the event goes
 * to the dead-letter topic at once with this reason, its transaction rolled back, and its partition moves on.
 */
public class RejectedEvent extends RuntimeException {
    private final RejectReason reason;

    public RejectedEvent(RejectReason reason, String detail) {
        super(detail, null, false, false);
        this.reason = reason;
    }

    public RejectReason reason() {
        return reason;
    }
}
