package io.wslfleet.protocol.trust;

import io.wslfleet.protocol.CloudEventHeaders;
import io.wslfleet.protocol.release.Ed25519;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The signature every record of the fleet carries (see {@code docs/design.md}, "Signed records"): Ed25519 over the
 * topic, the record key, the CloudEvents attributes and the SHA-256 of the value, in two headers:
 * {@value #KEY_HEADER} (the signer's key id) and {@value #SIGNATURE_HEADER} (base64 signature).
 *
 * <p>The signed message is {@code "wslfleet-record-sig-v1"} followed by, for each of topic, key, {@code ce_specversion},
 * {@code ce_id}, {@code ce_type}, {@code ce_source}, {@code ce_time}, {@code ce_subject}, {@code ce_dataschema},
 * {@code content-type} and the value's SHA-256: a 4-byte big-endian length and the bytes (length -1 when absent). So
 * nothing a consumer acts on can be changed, moved to another topic or key, or re-labelled without breaking it;
 * other headers (tracing, the dead-letter headers) are not covered and mean nothing to a consumer.
 */
public final class RecordSignatures {
    public static final String KEY_HEADER = "fleet_sig_key";
    public static final String SIGNATURE_HEADER = "fleet_sig";
    private static final byte[] DOMAIN = "wslfleet-record-sig-v1".getBytes(StandardCharsets.US_ASCII);
    private static final List<String> SIGNED_HEADERS = List.of(CloudEventHeaders.SPEC_VERSION, CloudEventHeaders.ID,
            CloudEventHeaders.TYPE, CloudEventHeaders.SOURCE, CloudEventHeaders.TIME, CloudEventHeaders.SUBJECT,
            CloudEventHeaders.DATA_SCHEMA, CloudEventHeaders.CONTENT_TYPE);
    /** An Ed25519 signature is 64 bytes, 88 characters of base64. */
    private static final int MAX_SIGNATURE_CHARS = 88;

    private RecordSignatures() {
    }

    /** The record with its signature headers (any earlier ones replaced). */
    public static ProducerRecord<String, byte[]> sign(ProducerRecord<String, byte[]> record, Signer signer) {
        Headers headers = new RecordHeaders();
        for (Header h : record.headers()) {
            if (!h.key().equals(KEY_HEADER) && !h.key().equals(SIGNATURE_HEADER)) {
                headers.add(h);
            }
        }
        byte[] message = message(record.topic(), record.key(), headers, record.value());
        headers.add(KEY_HEADER, signer.keyId().getBytes(StandardCharsets.UTF_8));
        headers.add(SIGNATURE_HEADER, signer.sign(message).getBytes(StandardCharsets.US_ASCII));
        return new ProducerRecord<>(record.topic(), record.partition(), record.timestamp(), record.key(),
                record.value(), headers);
    }

    /** The id of the key the record claims to be signed with, if it names one readably. */
    public static Optional<String> keyId(Headers headers) {
        String id = single(headers, KEY_HEADER);
        return id != null && TrustedKeys.KEY_ID.matcher(id).matches() ? Optional.of(id) : Optional.empty();
    }

    /** Verifies the record against the keys {@code keys} resolves by id (empty: not a key this verifier trusts). */
    public static Verification verify(ConsumerRecord<String, byte[]> record,
                                      Function<String, Optional<PublicKey>> keys) {
        return verify(record.topic(), record.key(), record.headers(), record.value(), keys);
    }

    public static Verification verify(ConsumerRecord<String, byte[]> record, TrustedKeys keys) {
        return verify(record, keys::get);
    }

    public static Verification verify(String topic, String key, Headers headers, byte[] value,
                                      Function<String, Optional<PublicKey>> keys) {
        String keyId = single(headers, KEY_HEADER);
        String signature = single(headers, SIGNATURE_HEADER);
        if (keyId == null || signature == null) {
            return new Verification.Refused("the record is not signed (no single " + KEY_HEADER + " and "
                    + SIGNATURE_HEADER + " header)", keyId);
        }
        if (!TrustedKeys.KEY_ID.matcher(keyId).matches() || signature.length() > MAX_SIGNATURE_CHARS) {
            return new Verification.Refused("malformed signature headers", null);
        }
        Optional<PublicKey> publicKey;
        try {
            publicKey = keys.apply(keyId);
        } catch (IllegalArgumentException e) {
            return new Verification.Refused("key " + keyId + " cannot be used: " + e.getMessage(), keyId);
        }
        if (publicKey.isEmpty()) {
            return new Verification.Refused("signed with key " + keyId + ", which is not trusted here", keyId);
        }
        if (!Ed25519.verify(publicKey.get(), message(topic, key, headers, value), signature)) {
            return new Verification.Refused("the signature does not verify with key " + keyId, keyId);
        }
        return new Verification.Verified(keyId);
    }

    /** The outcome of checking a record's signature. */
    public sealed interface Verification {
        boolean verified();

        /** @param keyId the key that signed it */
        record Verified(String keyId) implements Verification {
            @Override
            public boolean verified() {
                return true;
            }
        }

        /** @param keyId the key the record names, when it names one */
        record Refused(String detail, String keyId) implements Verification {
            @Override
            public boolean verified() {
                return false;
            }
        }
    }

    static byte[] message(String topic, String key, Headers headers, byte[] value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(512);
        out.writeBytes(DOMAIN);
        field(out, bytes(topic));
        field(out, bytes(key));
        for (String name : SIGNED_HEADERS) {
            Header h = headers.lastHeader(name);
            field(out, h == null ? null : h.value());
        }
        field(out, value == null ? null : sha256(value));
        return out.toByteArray();
    }

    private static void field(ByteArrayOutputStream out, byte[] bytes) {
        out.writeBytes(ByteBuffer.allocate(4).putInt(bytes == null ? -1 : bytes.length).array());
        if (bytes != null) {
            out.writeBytes(bytes);
        }
    }

    private static byte[] bytes(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] sha256(byte[] value) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(value);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The header's value when it appears exactly once and is ASCII text, else null. */
    private static String single(Headers headers, String name) {
        Iterator<Header> it = headers.headers(name).iterator();
        if (!it.hasNext()) {
            return null;
        }
        Header h = it.next();
        if (it.hasNext() || h.value() == null || h.value().length == 0 || h.value().length > 256) {
            return null;
        }
        for (byte b : h.value()) {
            if (b <= 0x20 || b >= 0x7f) {
                return null;
            }
        }
        return new String(h.value(), StandardCharsets.US_ASCII);
    }
}
