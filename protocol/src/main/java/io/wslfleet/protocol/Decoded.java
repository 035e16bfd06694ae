package io.wslfleet.protocol;

import io.wslfleet.protocol.events.EventData;

/** The outcome of decoding one record: an event, or the reason it must go to the dead-letter topic. */
public sealed interface Decoded permits Decoded.Event, Decoded.Rejected {

    record Event(CloudEvent<? extends EventData> event) implements Decoded {
    }

    /**
     * @param eventId the ce_id when the record had one, so the dead letter can be traced
     */
    record Rejected(RejectReason reason, String detail, String eventId) implements Decoded {
    }
}
