package io.wslfleet.protocol.trust;

import io.wslfleet.protocol.CloudEvent;
import io.wslfleet.protocol.CloudEventHeaders;
import io.wslfleet.protocol.EventCodec;
import io.wslfleet.protocol.events.AgentHeartbeat;
import io.wslfleet.protocol.release.Ed25519;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class RecordSignaturesTest {
    private static final KeyPair PAIR = Ed25519.generate();
    private static final Signer SIGNER = new Signer("orchestrator-1", PAIR.getPrivate());
    private static final TrustedKeys TRUSTED = new TrustedKeys(Map.of("orchestrator-1", PAIR.getPublic()));

    private static ProducerRecord<String, byte[]> signed() {
        return RecordSignatures.sign(EventCodec.toRecord(CloudEvent.of("urn:wsl-fleet:agent:ws-1/dev",
                new AgentHeartbeat("ws-1/dev", 5, 7, null))), SIGNER);
    }

    private static ConsumerRecord<String, byte[]> received(String topic, String key, RecordHeaders headers,
                                                           byte[] value) {
        return new ConsumerRecord<>(topic, 0, 0, 0, TimestampType.CREATE_TIME, 0, 0, key, value, headers,
                Optional.empty());
    }

    private static ConsumerRecord<String, byte[]> received(ProducerRecord<String, byte[]> r) {
        RecordHeaders headers = new RecordHeaders();
        r.headers().forEach(headers::add);
        return received(r.topic(), r.key(), headers, r.value());
    }

    @Test
    void aSignedRecordVerifiesWithTheTrustedKey() {
        var v = RecordSignatures.verify(received(signed()), TRUSTED);
        assertThat(v).isEqualTo(new RecordSignatures.Verification.Verified("orchestrator-1"));
    }

    @Test
    void signingTwiceReplacesTheSignature() {
        var twice = RecordSignatures.sign(signed(), SIGNER);
        assertThat(twice.headers().headers(RecordSignatures.SIGNATURE_HEADER)).hasSize(1);
        assertThat(RecordSignatures.verify(received(twice), TRUSTED).verified()).isTrue();
    }

    @Test
    void anotherTopicKeyOrValueBreaksIt() {
        var r = received(signed());
        assertThat(RecordSignatures.verify(received("fleet.commands", r.key(), (RecordHeaders) r.headers(), r.value()),
                TRUSTED).verified()).isFalse();
        assertThat(RecordSignatures.verify(received(r.topic(), "ws-2/dev", (RecordHeaders) r.headers(), r.value()),
                TRUSTED).verified()).isFalse();
        byte[] value = r.value().clone();
        value[value.length - 2] ^= 1;
        assertThat(RecordSignatures.verify(received(r.topic(), r.key(), (RecordHeaders) r.headers(), value),
                TRUSTED).verified()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {CloudEventHeaders.ID, CloudEventHeaders.TYPE, CloudEventHeaders.SOURCE,
            CloudEventHeaders.TIME, CloudEventHeaders.SUBJECT, CloudEventHeaders.SPEC_VERSION,
            CloudEventHeaders.CONTENT_TYPE, CloudEventHeaders.DATA_SCHEMA})
    void changingAddingOrDroppingASignedHeaderBreaksIt(String name) {
        var r = received(signed());
        RecordHeaders changed = new RecordHeaders();
        boolean had = false;
        for (Header h : r.headers()) {
            if (h.key().equals(name)) {
                had = true;
                changed.add(name, (new String(h.value(), StandardCharsets.UTF_8) + "x").getBytes(StandardCharsets.UTF_8));
            } else {
                changed.add(h);
            }
        }
        if (!had) {
            changed.add(name, "urn:x".getBytes(StandardCharsets.UTF_8));
        }
        assertThat(RecordSignatures.verify(received(r.topic(), r.key(), changed, r.value()), TRUSTED).verified())
                .as(name).isFalse();
        RecordHeaders dropped = new RecordHeaders();
        r.headers().forEach(h -> {
            if (!h.key().equals(name)) {
                dropped.add(h);
            }
        });
        if (had) {
            assertThat(RecordSignatures.verify(received(r.topic(), r.key(), dropped, r.value()), TRUSTED).verified())
                    .as("without " + name).isFalse();
        }
    }

    @Test
    void otherHeadersAreNotCovered() {
        var r = received(signed());
        r.headers().add("traceparent", "00-abc".getBytes(StandardCharsets.UTF_8));
        assertThat(RecordSignatures.verify(r, TRUSTED).verified()).isTrue();
    }

    @Test
    void unsignedUntrustedForeignAndMalformedSignaturesAreRefused() {
        var good = received(signed());
        RecordHeaders unsigned = new RecordHeaders();
        good.headers().forEach(h -> {
            if (!h.key().startsWith("fleet_sig")) {
                unsigned.add(h);
            }
        });
        var none = RecordSignatures.verify(received(good.topic(), good.key(), unsigned, good.value()), TRUSTED);
        assertThat(none).isInstanceOf(RecordSignatures.Verification.Refused.class);
        assertThat(((RecordSignatures.Verification.Refused) none).detail()).contains("not signed");

        var other = Ed25519.generate();
        var byOther = RecordSignatures.sign(signed(), new Signer("orchestrator-1", other.getPrivate()));
        assertThat(RecordSignatures.verify(received(byOther), TRUSTED).verified()).isFalse();

        var unknownId = RecordSignatures.sign(signed(), new Signer("attacker", other.getPrivate()));
        var unknown = RecordSignatures.verify(received(unknownId), TRUSTED);
        assertThat(((RecordSignatures.Verification.Refused) unknown).detail()).contains("attacker", "not trusted");

        var doubled = received(signed());
        doubled.headers().add(RecordSignatures.SIGNATURE_HEADER, "AAAA".getBytes(StandardCharsets.US_ASCII));
        assertThat(RecordSignatures.verify(doubled, TRUSTED).verified()).isFalse();

        var garbage = received(signed());
        garbage.headers().remove(RecordSignatures.SIGNATURE_HEADER);
        garbage.headers().add(RecordSignatures.SIGNATURE_HEADER, "not base64 at all!".getBytes(StandardCharsets.UTF_8));
        assertThat(RecordSignatures.verify(garbage, TRUSTED).verified()).isFalse();

        var throwing = RecordSignatures.verify(received(signed()), id -> {
            throw new IllegalArgumentException("stored key is corrupt");
        });
        assertThat(throwing.verified()).isFalse();
    }

    @Test
    void anAgentSignsWithTheFingerprintOfItsKey() {
        KeyPair agent = Ed25519.generate();
        Signer signer = Signer.ofPair(agent);
        assertThat(signer.keyId()).matches("ed25519:[0-9a-f]{32}")
                .isEqualTo(TrustedKeys.fingerprint(Ed25519.encode(agent.getPublic())))
                .isNotEqualTo(TrustedKeys.fingerprint(Ed25519.generate().getPublic()));
        var record = RecordSignatures.sign(EventCodec.toRecord(CloudEvent.of("urn:x",
                new AgentHeartbeat("ws-1/dev", 5, 7, null))), signer);
        assertThat(RecordSignatures.verify(received(record),
                id -> id.equals(signer.keyId()) ? Optional.of(agent.getPublic()) : Optional.empty()).verified()).isTrue();
    }

    @Test
    void trustedKeysParseTheConfigurationForm() {
        String pub = Ed25519.encode(PAIR.getPublic());
        TrustedKeys keys = TrustedKeys.parse(" k1=" + pub + ",\n k2=" + pub + ", ");
        assertThat(keys.ids()).containsExactly("k1", "k2");
        assertThat(TrustedKeys.parse(null).isEmpty()).isTrue();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TrustedKeys.parse("k1"))
                .hasMessageContaining("keyId=base64");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TrustedKeys.parse("bad id=" + pub))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
