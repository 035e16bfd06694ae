package io.wslfleet.protocol;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * The configurable bounds of the event contract (see {@code docs/design.md}, "The event contract"): how large a record
 * may be, how far its {@code ce_time} may lie from the consumer's clock, and how far an agent's sequence may jump.
 *
 * @param maxRecordBytes  key, value and headers together; larger records are RECORD_TOO_LARGE
 * @param maxPast         how old an event may be: an agent's outbox delivers what it kept while a laptop was offline
 * @param maxFuture       how far ahead the producer's clock may run
 * @param maxSequenceJump how far beyond the last applied sequence of an epoch an agent event may be
 */
public record Contract(int maxRecordBytes, Duration maxPast, Duration maxFuture, long maxSequenceJump) {
    public static final int DEFAULT_MAX_RECORD_BYTES = 262_144;
    public static final Duration DEFAULT_MAX_PAST = Duration.ofDays(30);
    public static final Duration DEFAULT_MAX_FUTURE = Duration.ofMinutes(10);
    public static final long DEFAULT_MAX_SEQUENCE_JUMP = 1_000_000;
    /** The longest {@code ce_id}, {@code ce_type}; {@code ce_source} and other headers have {@link #MAX_HEADER_CHARS}. */
    public static final int MAX_ID_CHARS = 128;
    public static final int MAX_HEADER_CHARS = 1_024;

    public static final Contract DEFAULT = new Contract(DEFAULT_MAX_RECORD_BYTES, DEFAULT_MAX_PAST,
            DEFAULT_MAX_FUTURE, DEFAULT_MAX_SEQUENCE_JUMP);

    public Contract {
        Objects.requireNonNull(maxPast, "maxPast");
        Objects.requireNonNull(maxFuture, "maxFuture");
        if (maxRecordBytes < 1024 || maxPast.isNegative() || maxFuture.isNegative() || maxSequenceJump < 1) {
            throw new IllegalArgumentException("contract bounds out of range: " + maxRecordBytes + " bytes, past "
                    + maxPast + ", future " + maxFuture + ", sequence jump " + maxSequenceJump);
        }
    }

    /**
     * The contract from environment variables {@code FLEET_CONTRACT_MAX_RECORD_BYTES}, {@code FLEET_CONTRACT_MAX_PAST},
     * {@code FLEET_CONTRACT_MAX_FUTURE} (ISO-8601 durations) and {@code FLEET_CONTRACT_MAX_SEQUENCE_JUMP}, defaults
     * for those unset: how the build worker and the agent are configured.
     */
    public static Contract fromEnvironment(Map<String, String> env) {
        return new Contract(
                Integer.parseInt(env.getOrDefault("FLEET_CONTRACT_MAX_RECORD_BYTES", "" + DEFAULT_MAX_RECORD_BYTES)),
                Duration.parse(env.getOrDefault("FLEET_CONTRACT_MAX_PAST", DEFAULT_MAX_PAST.toString())),
                Duration.parse(env.getOrDefault("FLEET_CONTRACT_MAX_FUTURE", DEFAULT_MAX_FUTURE.toString())),
                Long.parseLong(env.getOrDefault("FLEET_CONTRACT_MAX_SEQUENCE_JUMP", "" + DEFAULT_MAX_SEQUENCE_JUMP)));
    }
}
