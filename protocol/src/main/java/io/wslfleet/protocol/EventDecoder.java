package io.wslfleet.protocol;

import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import io.wslfleet.protocol.events.AgentEvent;
import io.wslfleet.protocol.events.EventData;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The one way every consumer of every program reads a record of its topic: strictly, by the contract in
 * {@code docs/design.md} ("The event contract"), and without ever throwing. A record ends as a {@link Decoded.Event}
 * or as a {@link Decoded.Rejected} with the reason it goes to {@code fleet.dead-letter}; {@link #accept} is the
 * prologue each consumer runs, dead-lettering through the consumer's own sink.
 */
public final class EventDecoder {
    private static final int MAX_DETAIL = 500;

    private final String topic;
    private final Contract contract;
    private final Clock clock;

    public EventDecoder(String topic, Contract contract, Clock clock) {
        this.topic = topic;
        this.contract = contract;
        this.clock = clock;
    }

    /** A decoder of {@code topic} with the default contract and the system clock. */
    public static EventDecoder of(String topic) {
        return new EventDecoder(topic, Contract.DEFAULT, Clock.systemUTC());
    }

    /** Where a consumer puts what it cannot use. */
    @FunctionalInterface
    public interface DeadLetterSink {
        void send(ConsumerRecord<String, byte[]> record, RejectReason reason, String detail);
    }

    /** The event of the record, or empty after the record went to {@code sink} with its reason. */
    public Optional<CloudEvent<? extends EventData>> accept(ConsumerRecord<String, byte[]> record,
                                                              DeadLetterSink sink) {
        Decoded decoded = decode(record);
        if (decoded instanceof Decoded.Rejected rejected) {
            sink.send(record, rejected.reason(), rejected.detail());
            return Optional.empty();
        }
        return Optional.of(((Decoded.Event) decoded).event());
    }

    public Decoded decode(ConsumerRecord<String, byte[]> record) {
        return decode(record.headers(), record.key(), record.value());
    }

    public Decoded decode(Headers headers, String key, byte[] value) {
        try {
            return strict(headers, key, value);
        } catch (RuntimeException | StackOverflowError e) {
            // Whatever slipped past the checks below is still the record's fault, never the consumer's.
            return new Decoded.Rejected(RejectReason.MALFORMED_DATA, cut("unreadable record: " + e), null);
        }
    }

    private Decoded strict(Headers headers, String key, byte[] value) {
        long size = (key == null ? 0 : key.length() * 3L) + (value == null ? 0 : value.length);
        Map<String, String> ce = new HashMap<>();
        for (Header header : headers) {
            size += header.key().length() + (header.value() == null ? 0 : header.value().length);
            if (size > contract.maxRecordBytes()) {
                return reject(RejectReason.RECORD_TOO_LARGE, "the record is larger than "
                        + contract.maxRecordBytes() + " bytes", null);
            }
            if (!header.key().startsWith("ce_") && !header.key().equals(CloudEventHeaders.CONTENT_TYPE)) {
                continue;
            }
            String text = utf8(header.value());
            if (text == null || text.isEmpty()) {
                return reject(RejectReason.INVALID_HEADER, header.key() + " is empty or not UTF-8", null);
            }
            if (text.length() > Contract.MAX_HEADER_CHARS) {
                return reject(RejectReason.INVALID_HEADER, header.key() + " is longer than "
                        + Contract.MAX_HEADER_CHARS + " characters", null);
            }
            if (ce.put(header.key(), text) != null) {
                return reject(RejectReason.INVALID_HEADER, header.key() + " appears more than once", null);
            }
        }
        if (size > contract.maxRecordBytes()) {
            return reject(RejectReason.RECORD_TOO_LARGE, "the record is larger than " + contract.maxRecordBytes()
                    + " bytes", null);
        }

        String id = ce.get(CloudEventHeaders.ID);
        if (id == null) {
            return reject(RejectReason.MISSING_HEADER, "no ce_id header", null);
        }
        if (id.length() > Contract.MAX_ID_CHARS || !id.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            return reject(RejectReason.INVALID_HEADER, "ce_id must be 1 to " + Contract.MAX_ID_CHARS
                    + " printable ASCII characters", null);
        }
        String specVersion = ce.get(CloudEventHeaders.SPEC_VERSION);
        if (specVersion == null) {
            return reject(RejectReason.MISSING_HEADER, "no ce_specversion header", id);
        }
        if (!CloudEventHeaders.SPEC_VERSION_1_0.equals(specVersion)) {
            return reject(RejectReason.INVALID_HEADER, "ce_specversion is " + specVersion + ", expected 1.0", id);
        }
        String source = ce.get(CloudEventHeaders.SOURCE);
        if (source == null) {
            return reject(RejectReason.MISSING_HEADER, "no ce_source header", id);
        }
        if (!isUriReference(source)) {
            return reject(RejectReason.INVALID_HEADER, "ce_source is not a URI reference: " + source, id);
        }
        String ceType = ce.get(CloudEventHeaders.TYPE);
        if (ceType == null) {
            return reject(RejectReason.MISSING_HEADER, "no ce_type header", id);
        }
        Optional<EventType> known = EventType.fromCeType(ceType);
        if (known.isEmpty()) {
            return reject(RejectReason.UNKNOWN_TYPE, "unknown ce_type " + ceType, id);
        }
        EventType type = known.get();
        if (!type.topic().equals(topic)) {
            return reject(RejectReason.UNKNOWN_TYPE, ceType + " is an event of " + type.topic() + ", not of "
                    + topic, id);
        }
        String ceTime = ce.get(CloudEventHeaders.TIME);
        if (ceTime == null) {
            return reject(RejectReason.MISSING_HEADER, "no ce_time header", id);
        }
        Instant time;
        try {
            time = OffsetDateTime.parse(ceTime, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
        } catch (DateTimeParseException e) {
            return reject(RejectReason.INVALID_HEADER, "ce_time is not an RFC 3339 timestamp: " + ceTime, id);
        }
        Instant now = clock.instant();
        if (time.isBefore(now.minus(contract.maxPast())) || time.isAfter(now.plus(contract.maxFuture()))) {
            return reject(RejectReason.TIME_OUT_OF_RANGE, "ce_time " + ceTime + " is more than " + contract.maxPast()
                    + " before or " + contract.maxFuture() + " after " + now, id);
        }
        String schema = ce.get(CloudEventHeaders.DATA_SCHEMA);
        if (schema != null && !isUriReference(schema)) {
            return reject(RejectReason.INVALID_HEADER, "ce_dataschema is not a URI: " + schema, id);
        }
        String contentType = ce.get(CloudEventHeaders.CONTENT_TYPE);
        if (contentType != null && !contentType.equals(CloudEventHeaders.JSON)
                && !contentType.toLowerCase().replace(" ", "").equals(CloudEventHeaders.JSON + ";charset=utf-8")) {
            return reject(RejectReason.INVALID_HEADER, "content-type is " + contentType + ", expected "
                    + CloudEventHeaders.JSON, id);
        }
        if (key == null || key.isEmpty()) {
            return reject(RejectReason.KEY_MISMATCH, "the record has no key", id);
        }
        String subject = ce.get(CloudEventHeaders.SUBJECT);
        if (subject != null && !subject.equals(key)) {
            return reject(RejectReason.KEY_MISMATCH, "ce_subject " + subject + " is not the record key " + key, id);
        }
        if (value == null || value.length == 0) {
            return reject(RejectReason.MALFORMED_DATA, "no data for " + ceType, id);
        }

        EventData data;
        try {
            data = Json.MAPPER.readValue(value, type.dataClass());
        } catch (ValueInstantiationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            return reject(RejectReason.INVALID_DATA, String.valueOf(cause.getMessage()), id);
        } catch (IOException e) {
            return reject(RejectReason.MALFORMED_DATA, firstLine(e.getMessage()), id);
        }
        if (data == null) {
            return reject(RejectReason.MALFORMED_DATA, "data is JSON null", id);
        }
        if (!key.equals(data.key())) {
            return reject(RejectReason.KEY_MISMATCH, "the record key " + key + " is not the event's subject "
                    + data.key(), id);
        }
        if (data instanceof AgentEvent agentEvent) {
            if (agentEvent.sequence() < 1) {
                return reject(RejectReason.INVALID_DATA, "sequence must be at least 1, was " + agentEvent.sequence(), id);
            }
            if (Instant.ofEpochMilli(agentEvent.epoch()).isAfter(now.plus(contract.maxFuture()))) {
                return reject(RejectReason.INVALID_DATA, "epoch " + agentEvent.epoch() + " lies in the future", id);
            }
        }
        return new Decoded.Event(new CloudEvent<>(id, type, source, time, key, data));
    }

    private static Decoded reject(RejectReason reason, String detail, String id) {
        return new Decoded.Rejected(reason, cut(detail), id);
    }

    private static boolean isUriReference(String value) {
        try {
            new URI(value);
            return true;
        } catch (URISyntaxException e) {
            return false;
        }
    }

    private static String utf8(byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static String cut(String detail) {
        if (detail == null) {
            return "";
        }
        return detail.length() <= MAX_DETAIL ? detail : detail.substring(0, MAX_DETAIL) + " …[cut]";
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable JSON";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
