package io.wslfleet.protocol;

import io.wslfleet.protocol.events.AgentHeartbeat;
import io.wslfleet.protocol.events.EventData;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class EventCodecTest {
    private static final Clock CLOCK = Clock.fixed(Samples.T, ZoneOffset.UTC);

    @ParameterizedTest
    @EnumSource(EventType.class)
    void everyEventRoundTripsThroughAKafkaRecord(EventType type) {
        EventData data = Samples.all().get(type);
        CloudEvent<?> event = CloudEvent.of("/test", data, CLOCK);

        ProducerRecord<String, byte[]> record = EventCodec.toRecord(event);

        assertThat(record.topic()).isEqualTo(type.topic());
        assertThat(record.key()).isEqualTo(data.key());
        assertThat(header(record.headers(), "ce_type")).isEqualTo(type.ceType());
        assertThat(header(record.headers(), "ce_specversion")).isEqualTo("1.0");
        assertThat(header(record.headers(), "content-type")).isEqualTo("application/json");
        assertThat(header(record.headers(), "ce_time")).isEqualTo("2026-11-24T10:15:30Z");
        Decoded decoded = EventCodec.decode(record.headers(), record.value());
        assertThat(decoded).isEqualTo(new Decoded.Event(event));
    }

    @Test
    void unknownFieldsAreIgnored() {
        Map<String, String> headers = headersFor("io.wslfleet.agent.heartbeat.v1");
        byte[] json = "{\"agentId\":\"ws-1/bob\",\"sequence\":7,\"future\":{\"x\":1}}".getBytes(StandardCharsets.UTF_8);

        Decoded decoded = EventCodec.decode(headers, json);

        assertThat(decoded).isInstanceOfSatisfying(Decoded.Event.class, e ->
                assertThat(e.event().data()).isEqualTo(new AgentHeartbeat("ws-1/bob", 7, null)));
    }

    @Test
    void unknownTypeIsRejectedNotThrown() {
        Decoded decoded = EventCodec.decode(headersFor("io.wslfleet.agent.teleported.v9"), "{}".getBytes());

        assertThat(decoded).isInstanceOfSatisfying(Decoded.Rejected.class, r -> {
            assertThat(r.reason()).isEqualTo(RejectReason.UNKNOWN_TYPE);
            assertThat(r.eventId()).isEqualTo("e-1");
            assertThat(r.detail()).contains("io.wslfleet.agent.teleported.v9");
        });
    }

    @Test
    void malformedJsonIsRejected() {
        Decoded decoded = EventCodec.decode(headersFor("io.wslfleet.agent.heartbeat.v1"), "{not json".getBytes());

        assertThat(decoded).isInstanceOfSatisfying(Decoded.Rejected.class,
                r -> assertThat(r.reason()).isEqualTo(RejectReason.MALFORMED_DATA));
    }

    @Test
    void missingRequiredFieldIsInvalidData() {
        Decoded decoded = EventCodec.decode(headersFor("io.wslfleet.agent.heartbeat.v1"), "{\"sequence\":1}".getBytes());

        assertThat(decoded).isInstanceOfSatisfying(Decoded.Rejected.class, r -> {
            assertThat(r.reason()).isEqualTo(RejectReason.INVALID_DATA);
            assertThat(r.detail()).contains("agentId is required");
        });
    }

    @Test
    void recordWithoutCloudEventHeadersIsRejected() {
        Decoded decoded = EventCodec.decode(Map.of(), "{}".getBytes());

        assertThat(decoded).isInstanceOfSatisfying(Decoded.Rejected.class,
                r -> assertThat(r.reason()).isEqualTo(RejectReason.MISSING_HEADER));
    }

    @Test
    void deadLetterKeepsTheRecordAsReceivedAndSaysWhy() {
        RecordHeaders headers = new RecordHeaders();
        headers.add("ce_id", "e-9".getBytes());
        ConsumerRecord<String, byte[]> received = new ConsumerRecord<>(Topics.AGENT_EVENTS, 2, 41L, 0L,
                TimestampType.CREATE_TIME, 0, 0, "ws-1/bob", "garbage".getBytes(), headers, Optional.empty());

        ProducerRecord<String, byte[]> dead = EventCodec.deadLetter(received, RejectReason.MALFORMED_DATA,
                "unreadable", "orchestrator");

        assertThat(dead.topic()).isEqualTo(Topics.DEAD_LETTER);
        assertThat(dead.key()).isEqualTo("ws-1/bob");
        assertThat(dead.value()).isEqualTo("garbage".getBytes());
        assertThat(header(dead.headers(), "ce_id")).isEqualTo("e-9");
        assertThat(header(dead.headers(), CloudEventHeaders.DLQ_REASON)).isEqualTo("MALFORMED_DATA");
        assertThat(header(dead.headers(), CloudEventHeaders.DLQ_ORIGIN_TOPIC)).isEqualTo(Topics.AGENT_EVENTS);
        assertThat(header(dead.headers(), CloudEventHeaders.DLQ_ORIGIN_PARTITION)).isEqualTo("2");
        assertThat(header(dead.headers(), CloudEventHeaders.DLQ_ORIGIN_OFFSET)).isEqualTo("41");
        assertThat(header(dead.headers(), CloudEventHeaders.DLQ_CONSUMER)).isEqualTo("orchestrator");
    }

    private static Map<String, String> headersFor(String ceType) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("ce_specversion", "1.0");
        headers.put("ce_id", "e-1");
        headers.put("ce_type", ceType);
        headers.put("ce_source", "/test");
        headers.put("ce_time", "2026-11-24T10:15:30Z");
        return headers;
    }

    private static String header(Headers headers, String key) {
        var header = headers.lastHeader(key);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
