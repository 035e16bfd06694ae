package io.wslfleet.orchestrator.bus;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.wslfleet.orchestrator.FleetConfig;
import io.wslfleet.protocol.CloudEvent;
import io.wslfleet.protocol.EventCodec;
import io.wslfleet.protocol.Json;
import io.wslfleet.protocol.events.EventData;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import org.hibernate.Session;

import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.List;

/** Writes events to publish into the outbox table, in the caller's transaction: they commit with the state change. */
@ApplicationScoped
public class Outbox {
    private static final int BATCH = 1000;

    @Inject
    Clock clock;
    @Inject
    EntityManager em;
    @Inject
    FleetConfig config;

    @Transactional(Transactional.TxType.MANDATORY)
    public void enqueue(EventData data) {
        enqueueAll(List.of(data));
    }

    /**
     * Writes the events in their order (the relay publishes in id order), as JDBC batches of a thousand rows, one
     * round trip each: a wave of 100,000 machines is 100 round trips, not 100,000.
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
                    insert.setString(4, headersJson(event));
                    insert.setBytes(5, EventCodec.data(event));
                    insert.setTimestamp(6, now);
                    insert.addBatch();
                    if (++inBatch == BATCH) {
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

    private static String headersJson(CloudEvent<?> event) {
        try {
            return Json.MAPPER.writeValueAsString(EventCodec.headers(event));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
