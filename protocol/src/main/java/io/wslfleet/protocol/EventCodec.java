package io.wslfleet.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import io.wslfleet.protocol.events.EventData;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * CloudEvents 1.0 Kafka binary mode: attributes in {@code ce_*} headers, the data as JSON in the value, the key as the
 * event's key. Decoding never throws on bad input: it returns {@link Decoded.Rejected}.
 */
public final class EventCodec {
    private EventCodec() {
    }

    public static Map<String, String> headers(CloudEvent<?> event) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(CloudEventHeaders.SPEC_VERSION, CloudEventHeaders.SPEC_VERSION_1_0);
        headers.put(CloudEventHeaders.ID, event.id());
        headers.put(CloudEventHeaders.TYPE, event.type().ceType());
        headers.put(CloudEventHeaders.SOURCE, event.source());
        headers.put(CloudEventHeaders.TIME, event.time().toString());
        if (event.subject() != null) {
            headers.put(CloudEventHeaders.SUBJECT, event.subject());
        }
        headers.put(CloudEventHeaders.CONTENT_TYPE, CloudEventHeaders.JSON);
        return headers;
    }

    public static byte[] data(CloudEvent<?> event) {
        try {
            return Json.MAPPER.writeValueAsBytes(event.data());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + event.type(), e);
        }
    }

    public static ProducerRecord<String, byte[]> toRecord(CloudEvent<?> event) {
        RecordHeaders headers = new RecordHeaders();
        headers(event).forEach((k, v) -> headers.add(k, v.getBytes(StandardCharsets.UTF_8)));
        return new ProducerRecord<>(event.topic(), null, event.data().key(), data(event), headers);
    }

    public static Decoded decode(ConsumerRecord<?, byte[]> record) {
        return decode(record.headers(), record.value());
    }

    public static Decoded decode(Headers headers, byte[] value) {
        Map<String, String> map = new LinkedHashMap<>();
        for (Header header : headers) {
            if (header.value() != null) {
                map.putIfAbsent(header.key(), new String(header.value(), StandardCharsets.UTF_8));
            }
        }
        return decode(map, value);
    }

    public static Decoded decode(Map<String, String> headers, byte[] value) {
        String id = headers.get(CloudEventHeaders.ID);
        if (id == null || id.isBlank()) {
            return new Decoded.Rejected(RejectReason.MISSING_HEADER, "no ce_id header", null);
        }
        if (!CloudEventHeaders.SPEC_VERSION_1_0.equals(headers.get(CloudEventHeaders.SPEC_VERSION))) {
            return new Decoded.Rejected(RejectReason.MISSING_HEADER,
                    "ce_specversion is " + headers.get(CloudEventHeaders.SPEC_VERSION) + ", expected 1.0", id);
        }
        String source = headers.get(CloudEventHeaders.SOURCE);
        if (source == null || source.isBlank()) {
            return new Decoded.Rejected(RejectReason.MISSING_HEADER, "no ce_source header", id);
        }
        String ceType = headers.get(CloudEventHeaders.TYPE);
        Optional<EventType> type = ceType == null ? Optional.empty() : EventType.fromCeType(ceType);
        if (type.isEmpty()) {
            return new Decoded.Rejected(RejectReason.UNKNOWN_TYPE, "unknown ce_type " + ceType, id);
        }
        Instant time;
        try {
            String ceTime = headers.get(CloudEventHeaders.TIME);
            time = ceTime == null ? Instant.EPOCH : Instant.parse(ceTime);
        } catch (DateTimeParseException e) {
            return new Decoded.Rejected(RejectReason.MISSING_HEADER, "ce_time is not RFC 3339: " + e.getMessage(), id);
        }
        if (value == null || value.length == 0) {
            return new Decoded.Rejected(RejectReason.MALFORMED_DATA, "no data for " + ceType, id);
        }
        EventData data;
        try {
            data = Json.MAPPER.readValue(value, type.get().dataClass());
        } catch (ValueInstantiationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            return new Decoded.Rejected(RejectReason.INVALID_DATA, cause.getMessage(), id);
        } catch (IOException e) {
            return new Decoded.Rejected(RejectReason.MALFORMED_DATA, firstLine(e.getMessage()), id);
        }
        if (data == null) {
            return new Decoded.Rejected(RejectReason.MALFORMED_DATA, "data is JSON null", id);
        }
        return new Decoded.Event(new CloudEvent<>(id, type.get(), source, time,
                headers.get(CloudEventHeaders.SUBJECT), data));
    }

    /**
     * The record to publish on {@link Topics#DEAD_LETTER} for one that could not be processed: key, value and headers
     * as received, plus the reason and origin.
     */
    public static ProducerRecord<String, byte[]> deadLetter(ConsumerRecord<String, byte[]> received, RejectReason reason,
                                                            String detail, String consumer) {
        RecordHeaders headers = new RecordHeaders(received.headers().toArray());
        put(headers, CloudEventHeaders.DLQ_REASON, reason.name());
        put(headers, CloudEventHeaders.DLQ_DETAIL, detail == null ? "" : detail);
        put(headers, CloudEventHeaders.DLQ_ORIGIN_TOPIC, received.topic());
        put(headers, CloudEventHeaders.DLQ_ORIGIN_PARTITION, Integer.toString(received.partition()));
        put(headers, CloudEventHeaders.DLQ_ORIGIN_OFFSET, Long.toString(received.offset()));
        put(headers, CloudEventHeaders.DLQ_CONSUMER, consumer);
        return new ProducerRecord<>(Topics.DEAD_LETTER, null, received.key(), received.value(), headers);
    }

    private static void put(Headers headers, String key, String value) {
        headers.remove(key);
        headers.add(key, value.getBytes(StandardCharsets.UTF_8));
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable JSON";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
