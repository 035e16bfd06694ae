package io.wslfleet.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.wslfleet.protocol.events.EventData;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CloudEvents 1.0 Kafka binary mode: attributes in {@code ce_*} headers, the data as JSON in the value, the key as the
 * event's key. Decoding is {@link EventDecoder}'s.
 */
public final class EventCodec {
    static final int DEAD_LETTER_KEEP_BYTES = 65_536;
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

    /**
     * The record to publish on {@link Topics#DEAD_LETTER} for one that could not be processed: key, value and headers
     * as received, plus the reason and origin. A record too large to be copied whole (its copy could not be published
     * and would stop the consumer) keeps the first {@value #DEAD_LETTER_KEEP_BYTES} bytes of its value and its headers
     * of up to 1 KiB; {@code dlq_truncated} then gives the original value size.
     */
    public static ProducerRecord<String, byte[]> deadLetter(ConsumerRecord<String, byte[]> received, RejectReason reason,
                                                            String detail, String consumer) {
        byte[] value = received.value();
        String key = received.key();
        RecordHeaders headers = new RecordHeaders();
        long size = (value == null ? 0 : value.length) + (key == null ? 0 : key.length());
        for (org.apache.kafka.common.header.Header h : received.headers()) {
            size += h.key().length() + (h.value() == null ? 0 : h.value().length);
        }
        boolean truncate = size > DEAD_LETTER_KEEP_BYTES * 4L;
        for (org.apache.kafka.common.header.Header h : received.headers()) {
            if (!truncate || h.value() == null || h.value().length <= 1024) {
                headers.add(h);
            }
        }
        if (truncate) {
            put(headers, CloudEventHeaders.DLQ_TRUNCATED, Integer.toString(value == null ? 0 : value.length));
            if (value != null && value.length > DEAD_LETTER_KEEP_BYTES) {
                value = java.util.Arrays.copyOf(value, DEAD_LETTER_KEEP_BYTES);
            }
            if (key != null && key.length() > 1024) {
                key = key.substring(0, 1024);
            }
        }
        put(headers, CloudEventHeaders.DLQ_REASON, reason.name());
        put(headers, CloudEventHeaders.DLQ_DETAIL, detail == null ? "" : detail);
        put(headers, CloudEventHeaders.DLQ_ORIGIN_TOPIC, received.topic());
        put(headers, CloudEventHeaders.DLQ_ORIGIN_PARTITION, Integer.toString(received.partition()));
        put(headers, CloudEventHeaders.DLQ_ORIGIN_OFFSET, Long.toString(received.offset()));
        put(headers, CloudEventHeaders.DLQ_CONSUMER, consumer);
        return new ProducerRecord<>(Topics.DEAD_LETTER, null, key, value, headers);
    }

    private static void put(Headers headers, String key, String value) {
        headers.remove(key);
        headers.add(key, value.getBytes(StandardCharsets.UTF_8));
    }
}
