package io.wslfleet.orchestrator.bus;

import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.util.List;

import jakarta.persistence.EntityManager;
import org.hibernate.Session;

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
    EntityManager em;
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

    /**
     * As {@link #enqueue} for many events at once, in their order: rows written as JDBC batches of a thousand, one
     * round trip each, rather than one insert per row (a wave of 100,000 machines is 100 round trips, not 100,000).
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public void enqueueAll(List<? extends EventData> events) {
        if (events.isEmpty()) {
            return;
        }
        Timestamp now = Timestamp.from(clock.instant());
        em.unwrap(Session.class).doWork(connection -> {
            try (PreparedStatement insert = connection.prepareStatement("insert into outbox "
                    + "(topic, msg_key, event_id, headers, payload, created_at) values (?, ?, ?, ?, ?, ?)")) {
                int inBatch = 0;
                for (EventData data : events) {
                    CloudEvent<?> event = CloudEvent.of(config.source(), data, clock);
                    insert.setString(1, event.topic());
                    insert.setString(2, data.key());
                    insert.setString(3, event.id());
                    try {
                        insert.setString(4, Json.MAPPER.writeValueAsString(EventCodec.headers(event)));
                    } catch (JsonProcessingException e) {
                        throw new IllegalStateException(e);
                    }
                    insert.setBytes(5, EventCodec.data(event));
                    insert.setTimestamp(6, now);
                    insert.addBatch();
                    if (++inBatch == 1000) {
                        insert.executeBatch();
                        inBatch = 0;
                    }
                }
                if (inBatch > 0) {
                    insert.executeBatch();
                }
            }
        });
    }
}
