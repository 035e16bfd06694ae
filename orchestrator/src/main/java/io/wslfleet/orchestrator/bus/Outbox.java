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
     * Writes the events in their order (the relay publishes in id order) in one statement from arrays, whatever
     * their number: a wave of 100,000 commands is one round trip and one statement, not 100,000 row inserts.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public void enqueueAll(List<? extends EventData> events) {
        if (events.isEmpty()) {
            return;
        }
        int n = events.size();
        String[] topics = new String[n];
        String[] keys = new String[n];
        String[] ids = new String[n];
        String[] headers = new String[n];
        byte[][] payloads = new byte[n][];
        for (int i = 0; i < n; i++) {
            EventData data = events.get(i);
            CloudEvent<?> event = CloudEvent.of(config.source(), data, clock);
            topics[i] = event.topic();
            keys[i] = data.key();
            ids[i] = event.id();
            headers[i] = headersJson(event);
            payloads[i] = EventCodec.data(event);
        }
        Timestamp now = Timestamp.from(clock.instant());
        em.unwrap(Session.class).doWork(connection -> {
            try (PreparedStatement insert = connection.prepareStatement("insert into outbox "
                    + "(topic, msg_key, event_id, headers, payload, created_at) "
                    + "select e.topic, e.msg_key, e.event_id, e.headers, e.payload, ? from "
                    + "unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::bytea[]) with ordinality "
                    + "as e(topic, msg_key, event_id, headers, payload, position) order by e.position")) {
                insert.setTimestamp(1, now);
                insert.setArray(2, connection.createArrayOf("text", topics));
                insert.setArray(3, connection.createArrayOf("text", keys));
                insert.setArray(4, connection.createArrayOf("text", ids));
                insert.setArray(5, connection.createArrayOf("text", headers));
                insert.setArray(6, connection.createArrayOf("bytea", payloads));
                insert.executeUpdate();
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
