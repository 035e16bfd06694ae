package io.wslfleet.protocol;

import io.wslfleet.protocol.events.AgentHeartbeat;
import io.wslfleet.protocol.events.EventData;
import io.wslfleet.protocol.testing.BadRecords;
import io.wslfleet.protocol.testing.Mutations;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class EventDecoderTest {
    private static final Clock CLOCK = Clock.fixed(Samples.T, ZoneOffset.UTC);

    private static Decoded decode(ProducerRecord<String, byte[]> record) {
        return new EventDecoder(record.topic(), Contract.DEFAULT, CLOCK).decode(record.headers(), record.key(),
                record.value());
    }

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
        assertThat(decode(record)).isEqualTo(new Decoded.Event(event));
    }

    static Stream<BadRecords.Case> badRecords() {
        return Arrays.stream(EventType.values())
                .flatMap(t -> BadRecords.of(CloudEvent.of("/test", Samples.all().get(t), CLOCK)).stream());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRecords")
    void everyClassOfBadRecordIsRejectedWithItsReason(BadRecords.Case bad) {
        assertThat(decode(bad.record())).isInstanceOfSatisfying(Decoded.Rejected.class, r -> {
            assertThat(r.reason()).as(r.detail()).isEqualTo(bad.expected());
            assertThat(r.detail()).isNotBlank().hasSizeLessThan(600);
        });
    }

    @Test
    void unknownFieldsAreIgnored() {
        ProducerRecord<String, byte[]> record = heartbeat("{\"agentId\":\"ws-1/bob\",\"epoch\":5,\"sequence\":7,"
                + "\"future\":{\"x\":1}}");

        assertThat(decode(record)).isInstanceOfSatisfying(Decoded.Event.class, e ->
                assertThat(e.event().data()).isEqualTo(new AgentHeartbeat("ws-1/bob", 5, 7, null)));
    }

    @Test
    void anAgentIdAgainstItsGrammarIsInvalidData() {
        for (String id : List.of("FUZZ-33/a", "fuzz-33/a/b", "fuzz 33/a", "fuzz-33", "/a", "fuzz-33/")) {
            String json = "{\"agentId\":\"" + id + "\",\"sequence\":7}";
            ProducerRecord<String, byte[]> record = new ProducerRecord<>(Topics.AGENT_EVENTS, null, id,
                    json.getBytes(StandardCharsets.UTF_8), heartbeat(json).headers());
            assertThat(decode(record)).as(id).isInstanceOfSatisfying(Decoded.Rejected.class,
                    r -> assertThat(r.reason()).isEqualTo(RejectReason.INVALID_DATA));
        }
    }

    @Test
    void aDistroNameThatCouldNameAPathIsInvalidData() {
        String json = "{\"commandId\":\"c-1\",\"agentId\":\"ws-1/bob\",\"distroName\":\"../../../../tmp/x\","
                + "\"deadline\":\"2026-11-24T11:00:00Z\"}";
        ProducerRecord<String, byte[]> record = record(Topics.COMMANDS, "ws-1/bob",
                EventType.HEALTH_CHECK_COMMAND, json);

        assertThat(decode(record)).isInstanceOfSatisfying(Decoded.Rejected.class, r -> {
            assertThat(r.reason()).isEqualTo(RejectReason.INVALID_DATA);
            assertThat(r.detail()).contains("distroName");
        });
    }

    @Test
    void aSequenceBelowOneIsInvalidData() {
        ProducerRecord<String, byte[]> record = heartbeat("{\"agentId\":\"ws-1/bob\",\"sequence\":0}");

        assertThat(decode(record)).isInstanceOfSatisfying(Decoded.Rejected.class,
                r -> assertThat(r.detail()).contains("sequence must be at least 1"));
    }

    @Test
    void anEpochInTheFutureIsInvalidData() {
        long future = Samples.T.plus(Duration.ofDays(1)).toEpochMilli();
        ProducerRecord<String, byte[]> record = heartbeat("{\"agentId\":\"ws-1/bob\",\"epoch\":" + future
                + ",\"sequence\":7}");

        assertThat(decode(record)).isInstanceOfSatisfying(Decoded.Rejected.class,
                r -> assertThat(r.reason()).isEqualTo(RejectReason.INVALID_DATA));
    }

    @Test
    void freeTextIsCutWithAVisibleMarker() {
        String json = "{\"agentId\":\"ws-1/bob\",\"sequence\":7,\"commandId\":\"c-1\",\"outcome\":\"FAILED\","
                + "\"message\":\"" + "m".repeat(10_000) + "\",\"logTail\":\"" + "l".repeat(70_000) + "end\"}";
        ProducerRecord<String, byte[]> record = record(Topics.AGENT_EVENTS, "ws-1/bob", EventType.COMMAND_RESULT,
                json);

        assertThat(decode(record)).isInstanceOfSatisfying(Decoded.Event.class, e -> {
            var result = (io.wslfleet.protocol.events.CommandResult) e.event().data();
            assertThat(result.message()).hasSizeLessThan(4200).endsWith("characters]");
            assertThat(result.logTail()).hasSizeLessThan(66_000).startsWith("[cut ").endsWith("end");
        });
    }

    @Test
    void aTooLargeRecordIsCutInItsDeadLetterCopy() {
        ConsumerRecord<String, byte[]> received = new ConsumerRecord<>(Topics.AGENT_EVENTS, 0, 1L, 0L,
                TimestampType.CREATE_TIME, 0, 0, "k".repeat(900_000), new byte[900_000], new RecordHeaders(),
                Optional.empty());

        ProducerRecord<String, byte[]> dead = EventCodec.deadLetter(received, RejectReason.RECORD_TOO_LARGE, "big",
                "test");

        assertThat(dead.value()).hasSize(65_536);
        assertThat(dead.key()).hasSize(1024);
        assertThat(header(dead.headers(), CloudEventHeaders.DLQ_TRUNCATED)).isEqualTo("900000");
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

    /**
     * Generated mutations of good records (a seeded generator, so a failure repeats: the seed is in the message):
     * whatever the bytes, decoding answers and never throws.
     */
    @Test
    void decodingNeverThrowsWhateverTheRecord() {
        long seed = Long.getLong("fuzz.seed", System.nanoTime());
        java.util.Random random = new java.util.Random(seed);
        EventType[] types = EventType.values();
        for (int i = 0; i < 5000; i++) {
            EventType type = types[random.nextInt(types.length)];
            ProducerRecord<String, byte[]> good = EventCodec.toRecord(CloudEvent.of("/test", Samples.all().get(type),
                    CLOCK));
            ProducerRecord<String, byte[]> record = Mutations.mutate(good, random);
            Decoded decoded = decode(record);
            assertThat(decoded).as("seed %d, try %d", seed, i).isNotNull();
            if (decoded instanceof Decoded.Rejected r) {
                assertThat(r.reason()).as("seed %d, try %d", seed, i).isNotNull();
                assertThat(r.detail()).as("seed %d, try %d", seed, i).isNotNull().hasSizeLessThan(600);
            }
        }
    }

    private static ProducerRecord<String, byte[]> heartbeat(String json) {
        return record(Topics.AGENT_EVENTS, "ws-1/bob", EventType.AGENT_HEARTBEAT, json);
    }

    private static ProducerRecord<String, byte[]> record(String topic, String key, EventType type, String json) {
        RecordHeaders headers = new RecordHeaders();
        headers.add("ce_specversion", "1.0".getBytes());
        headers.add("ce_id", "e-1".getBytes());
        headers.add("ce_type", type.ceType().getBytes());
        headers.add("ce_source", "/test".getBytes());
        headers.add("ce_time", "2026-11-24T10:15:30Z".getBytes());
        return new ProducerRecord<>(topic, null, key, json.getBytes(StandardCharsets.UTF_8), headers);
    }

    private static String header(Headers headers, String key) {
        var header = headers.lastHeader(key);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
