package io.wslfleet.agent;

import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.databind.JsonNode;
import io.wslfleet.protocol.CloudEventHeaders;
import io.wslfleet.protocol.Json;
import io.wslfleet.protocol.trust.TrustedKeys;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * What a refused command record can tell about itself for its {@code CommandRefused} event, read leniently since the
 * record may be anything: the command id in its data, else its {@code ce_id}, when either is a valid id; its
 * {@code ce_type} when readable.
 */
final class Refusals {

    private static final int MAX_TYPE_CHARS = 128;

    private Refusals() {
    }

    static String commandIdOf(ConsumerRecord<String, byte[]> record) {
        String fromData = null;
        try {
            JsonNode data = record.value() == null ? null : Json.MAPPER.readTree(record.value());
            if (data != null && data.path("commandId").isTextual()) {
                fromData = data.get("commandId").asText();
            }
        } catch (Exception | StackOverflowError e) {
            // not JSON: the record's ce_id is the next best name for it
        }
        if (isId(fromData)) {
            return fromData;
        }
        String eventId = header(record, CloudEventHeaders.ID);
        return isId(eventId) ? eventId : null;
    }

    static String eventTypeOf(ConsumerRecord<String, byte[]> record) {
        String type = header(record, CloudEventHeaders.TYPE);
        return type != null && type.length() <= MAX_TYPE_CHARS ? type : null;
    }

    private static boolean isId(String value) {
        return value != null && TrustedKeys.KEY_ID.matcher(value).matches();
    }

    /** The last value of the header when it is printable ASCII, else null. */
    private static String header(ConsumerRecord<String, byte[]> record, String name) {
        Header h = record.headers().lastHeader(name);
        if (h == null || h.value() == null || h.value().length == 0 || h.value().length > 1024) {
            return null;
        }
        for (byte b : h.value()) {
            if (b < 0x20 || b >= 0x7f) {
                return null;
            }
        }
        return new String(h.value(), StandardCharsets.US_ASCII);
    }
}
