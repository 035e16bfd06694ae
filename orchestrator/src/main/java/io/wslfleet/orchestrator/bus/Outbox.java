package io.wslfleet.orchestrator.bus;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.wslfleet.orchestrator.FleetConfig;
import io.wslfleet.protocol.CloudEvent;
import io.wslfleet.protocol.EventCodec;
import io.wslfleet.protocol.Json;
import io.wslfleet.protocol.events.EventData;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import java.time.Clock;

/** Writes events to publish into the outbox table, in the caller's transaction: they commit with the state change. */
@ApplicationScoped
public class Outbox {
    @Inject
    Clock clock;
    @Inject
    FleetConfig config;

    @Transactional(Transactional.TxType.MANDATORY)
    public CloudEvent<?> enqueue(EventData data) {
        CloudEvent<?> event = CloudEvent.of(config.source(), data, clock);
        OutboxEvent row = new OutboxEvent();
        row.topic = event.topic();
        row.key = data.key();
        row.eventId = event.id();
        try {
            row.headers = Json.MAPPER.writeValueAsString(EventCodec.headers(event));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        row.payload = EventCodec.data(event);
        row.createdAt = clock.instant();
        row.persist();
        return event;
    }
}
