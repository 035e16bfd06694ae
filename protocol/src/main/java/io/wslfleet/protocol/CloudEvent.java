package io.wslfleet.protocol;

import io.wslfleet.protocol.events.EventData;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.UUID;

/**
 * A CloudEvents 1.0 envelope around one event's data.
 *
 * @param id      unique per event; consumers are idempotent by it
 * @param source  who emitted it, a URI reference: {@code /orchestrator}, {@code /build-worker/<host>}, {@code /agent/<id>}
 * @param subject what it is about (the record key: agent id, build id, release id)
 */
public record CloudEvent<T extends EventData>(String id, EventType type, String source, Instant time, String subject,
                                              T data) {
    public CloudEvent {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(data, "data");
        if (!type.dataClass().isInstance(data)) {
            throw new IllegalArgumentException(type + " does not carry " + data.getClass().getSimpleName());
        }
    }

    public static <T extends EventData> CloudEvent<T> of(String source, T data, Clock clock) {
        return new CloudEvent<>(UUID.randomUUID().toString(), EventType.of(data), source,
                clock.instant().truncatedTo(ChronoUnit.MILLIS), data.key(), data);
    }

    public static <T extends EventData> CloudEvent<T> of(String source, T data) {
        return of(source, data, Clock.systemUTC());
    }

    /** The same event id and envelope around different data, for a deterministic id such as a command's. */
    public static <T extends EventData> CloudEvent<T> withId(String id, String source, T data, Clock clock) {
        return new CloudEvent<>(id, EventType.of(data), source, clock.instant().truncatedTo(ChronoUnit.MILLIS),
                data.key(), data);
    }

    public String topic() {
        return type.topic();
    }
}
