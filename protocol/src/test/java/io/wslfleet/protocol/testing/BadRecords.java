package io.wslfleet.protocol.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wslfleet.protocol.CloudEvent;
import io.wslfleet.protocol.CloudEventHeaders;
import io.wslfleet.protocol.EventCodec;
import io.wslfleet.protocol.EventType;
import io.wslfleet.protocol.Json;
import io.wslfleet.protocol.RejectReason;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * The hand-written table of bad records, one class of defect each, made from a good record of any event type: what
 * the protocol's decoder test and the fuzz test against the running programs both send, with the dead-letter
 * reason each must get.
 */
public final class BadRecords {
    private BadRecords() {
    }

    /** One bad record: a name for the report, the reason it must be dead-lettered with, and the record. */
    public record Case(String name, RejectReason expected, ProducerRecord<String, byte[]> record) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static final String[] CE_HEADERS = {CloudEventHeaders.ID, CloudEventHeaders.SOURCE,
            CloudEventHeaders.SPEC_VERSION, CloudEventHeaders.TYPE, CloudEventHeaders.TIME};

    /** Every bad variant of {@code good}. */
    public static List<Case> of(CloudEvent<?> good) {
        ProducerRecord<String, byte[]> base = EventCodec.toRecord(good);
        String type = good.type().ceType();
        List<Case> cases = new ArrayList<>();
        for (String h : CE_HEADERS) {
            cases.add(new Case(type + ": " + h + " missing", RejectReason.MISSING_HEADER, without(base, h)));
            cases.add(new Case(type + ": " + h + " empty", RejectReason.INVALID_HEADER, with(base, h, "")));
            cases.add(new Case(type + ": " + h + " huge", RejectReason.INVALID_HEADER, with(base, h, "x".repeat(5000))));
            cases.add(new Case(type + ": " + h + " twice", RejectReason.INVALID_HEADER, twice(base, h, "again")));
            cases.add(new Case(type + ": " + h + " not UTF-8", RejectReason.INVALID_HEADER,
                    withBytes(base, h, new byte[]{(byte) 0xff, (byte) 0xfe, 'x'})));
        }
        cases.add(new Case(type + ": ce_id with spaces", RejectReason.INVALID_HEADER,
                with(base, CloudEventHeaders.ID, "an id with spaces")));
        cases.add(new Case(type + ": ce_source not a URI", RejectReason.INVALID_HEADER,
                with(base, CloudEventHeaders.SOURCE, "not a uri")));
        cases.add(new Case(type + ": ce_specversion 0.3", RejectReason.INVALID_HEADER,
                with(base, CloudEventHeaders.SPEC_VERSION, "0.3")));
        cases.add(new Case(type + ": ce_type unknown", RejectReason.UNKNOWN_TYPE,
                with(base, CloudEventHeaders.TYPE, "io.wslfleet.agent.teleported.v9")));
        EventType foreign = Arrays.stream(EventType.values()).filter(t -> !t.topic().equals(good.topic()))
                .findFirst().orElseThrow();
        cases.add(new Case(type + ": ce_type of another topic", RejectReason.UNKNOWN_TYPE,
                with(base, CloudEventHeaders.TYPE, foreign.ceType())));
        cases.add(new Case(type + ": ce_time yesterday", RejectReason.INVALID_HEADER,
                with(base, CloudEventHeaders.TIME, "yesterday")));
        cases.add(new Case(type + ": ce_time without offset", RejectReason.INVALID_HEADER,
                with(base, CloudEventHeaders.TIME, "2026-11-24T10:15:30")));
        cases.add(new Case(type + ": ce_time far past", RejectReason.TIME_OUT_OF_RANGE,
                with(base, CloudEventHeaders.TIME, "2000-01-01T00:00:00Z")));
        cases.add(new Case(type + ": ce_time year 9999", RejectReason.TIME_OUT_OF_RANGE,
                with(base, CloudEventHeaders.TIME, "9999-12-31T23:59:59Z")));
        cases.add(new Case(type + ": ce_dataschema not a URI", RejectReason.INVALID_HEADER,
                with(base, CloudEventHeaders.DATA_SCHEMA, "http://bad host/x")));
        cases.add(new Case(type + ": content-type text/plain", RejectReason.INVALID_HEADER,
                with(base, CloudEventHeaders.CONTENT_TYPE, "text/plain")));
        cases.add(new Case(type + ": ce_subject not the key", RejectReason.KEY_MISMATCH,
                with(base, CloudEventHeaders.SUBJECT, "someone-else")));
        cases.add(new Case(type + ": no key", RejectReason.KEY_MISMATCH, rekey(base, null)));
        cases.add(new Case(type + ": key of another subject", RejectReason.KEY_MISMATCH,
                rekeyKeepSubject(base, "someone-else")));
        cases.add(new Case(type + ": value not JSON", RejectReason.MALFORMED_DATA, revalue(base, "{not json")));
        cases.add(new Case(type + ": value truncated", RejectReason.MALFORMED_DATA,
                revalue(base, Arrays.copyOf(base.value(), base.value().length / 2))));
        cases.add(new Case(type + ": value an array", RejectReason.MALFORMED_DATA, revalue(base, "[1,2,3]")));
        cases.add(new Case(type + ": value JSON null", RejectReason.MALFORMED_DATA, revalue(base, "null")));
        cases.add(new Case(type + ": value empty", RejectReason.MALFORMED_DATA, revalue(base, new byte[0])));
        cases.add(new Case(type + ": value with trailing garbage", RejectReason.MALFORMED_DATA,
                revalue(base, new String(base.value(), StandardCharsets.UTF_8) + " {}")));
        cases.add(new Case(type + ": value huge", RejectReason.RECORD_TOO_LARGE,
                revalue(base, tree(base, o -> o.put("padding", "x".repeat(300_000))))));
        cases.add(new Case(type + ": a key twice in the JSON", RejectReason.MALFORMED_DATA,
                revalue(base, duplicateFirstField(base.value()))));
        firstField(base.value(), JsonNode::isIntegralNumber).ifPresent(field -> {
            cases.add(new Case(type + ": " + field + " as a string", RejectReason.MALFORMED_DATA,
                    revalue(base, tree(base, o -> o.put(field, o.get(field).asText())))));
            cases.add(new Case(type + ": " + field + " as a fraction", RejectReason.MALFORMED_DATA,
                    revalue(base, tree(base, o -> o.put(field, o.get(field).asLong() + 0.7)))));
        });
        firstField(base.value(), JsonNode::isTextual).ifPresent(field -> {
            cases.add(new Case(type + ": " + field + " missing", RejectReason.INVALID_DATA,
                    revalue(base, tree(base, o -> o.remove(field)))));
            cases.add(new Case(type + ": " + field + " 100 KB", RejectReason.INVALID_DATA,
                    revalue(base, tree(base, o -> o.put(field, "a".repeat(100_000))))));
            cases.add(new Case(type + ": " + field + " a number", RejectReason.MALFORMED_DATA,
                    revalue(base, tree(base, o -> o.put(field, 42)))));
        });
        return cases;
    }

    private static ProducerRecord<String, byte[]> copy(ProducerRecord<String, byte[]> base, String key, byte[] value,
                                                       UnaryOperator<List<Header>> headers) {
        List<Header> list = new ArrayList<>(Arrays.asList(base.headers().toArray()));
        return new ProducerRecord<>(base.topic(), null, key, value, new RecordHeaders(headers.apply(list)));
    }

    private static ProducerRecord<String, byte[]> without(ProducerRecord<String, byte[]> base, String header) {
        return copy(base, base.key(), base.value(), l -> {
            l.removeIf(h -> h.key().equals(header));
            return l;
        });
    }

    private static ProducerRecord<String, byte[]> with(ProducerRecord<String, byte[]> base, String header, String value) {
        return withBytes(base, header, value.getBytes(StandardCharsets.UTF_8));
    }

    private static ProducerRecord<String, byte[]> withBytes(ProducerRecord<String, byte[]> base, String header,
                                                            byte[] value) {
        return copy(base, base.key(), base.value(), l -> {
            l.removeIf(h -> h.key().equals(header));
            l.add(new RecordHeader(header, value));
            return l;
        });
    }

    private static ProducerRecord<String, byte[]> twice(ProducerRecord<String, byte[]> base, String header, String v) {
        return copy(base, base.key(), base.value(), l -> {
            l.add(new RecordHeader(header, v.getBytes(StandardCharsets.UTF_8)));
            return l;
        });
    }

    private static ProducerRecord<String, byte[]> rekey(ProducerRecord<String, byte[]> base, String key) {
        return copy(base, key, base.value(), l -> {
            l.removeIf(h -> h.key().equals(CloudEventHeaders.SUBJECT));
            return l;
        });
    }

    /** Another key with a ce_subject that agrees with it: only the data's own subject can catch it. */
    private static ProducerRecord<String, byte[]> rekeyKeepSubject(ProducerRecord<String, byte[]> base, String key) {
        ProducerRecord<String, byte[]> r = rekey(base, key);
        return with(r, CloudEventHeaders.SUBJECT, key);
    }

    private static ProducerRecord<String, byte[]> revalue(ProducerRecord<String, byte[]> base, String value) {
        return revalue(base, value.getBytes(StandardCharsets.UTF_8));
    }

    private static ProducerRecord<String, byte[]> revalue(ProducerRecord<String, byte[]> base, byte[] value) {
        return copy(base, base.key(), value, l -> l);
    }

    private static byte[] tree(ProducerRecord<String, byte[]> base, java.util.function.Consumer<ObjectNode> change) {
        try {
            ObjectNode node = (ObjectNode) Json.MAPPER.readTree(base.value());
            change.accept(node);
            return Json.MAPPER.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The first top-level field (in document order, the key fields come first) whose value passes {@code test}. */
    private static Optional<String> firstField(byte[] value, java.util.function.Predicate<JsonNode> test) {
        try {
            Iterator<Map.Entry<String, JsonNode>> fields = Json.MAPPER.readTree(value).fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> f = fields.next();
                if (test.test(f.getValue())) {
                    return Optional.of(f.getKey());
                }
            }
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] duplicateFirstField(byte[] value) {
        String json = new String(value, StandardCharsets.UTF_8).trim();
        String field = firstField(value, n -> true).orElseThrow();
        try {
            String first = "\"" + field + "\":" + Json.MAPPER.writeValueAsString(Json.MAPPER.readTree(value).get(field));
            return ("{" + first + "," + json.substring(1)).getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
