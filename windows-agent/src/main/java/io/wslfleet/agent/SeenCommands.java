package io.wslfleet.agent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import java.util.logging.Logger;
import java.util.stream.Stream;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.wslfleet.protocol.Json;

/**
 * The command ids this agent has accepted, each with the event that brought it ({@code ce_id} and the SHA-256 of its
 * data), in {@code <state>/seen/}: the orchestrator publishes at least once, so the same event again is a duplicate
 * (answered with the stored result), while another event with a known command id is a replay and refused. An entry
 * is kept until the command's deadline plus the contract's max-future skew; after that the deadline itself refuses
 * the command, so the list does not grow for ever.
 */
final class SeenCommands {

    private static final Logger LOG = Logger.getLogger(SeenCommands.class.getName());
    private static final Duration PRUNE_EVERY = Duration.ofHours(1);

    private final Path dir;
    private final Clock clock;
    private final Duration keepBeyondDeadline;
    private Instant lastPrune = Instant.MIN;

    /** @param keepBeyondDeadline how long past its deadline a command id is remembered (the contract's max future) */
    SeenCommands(Path dir, Clock clock, Duration keepBeyondDeadline) {
        this.dir = dir;
        this.clock = clock;
        this.keepBeyondDeadline = keepBeyondDeadline;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot use " + dir, e);
        }
        forgetExpired();
    }

    /** The event that first brought a command id. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record Seen(String commandId, String eventId, String dataSha256, Instant forgetAfter) {
        boolean sameEvent(String otherEventId, String otherDataSha256) {
            return eventId.equals(otherEventId) && dataSha256.equals(otherDataSha256);
        }
    }

    synchronized Optional<Seen> get(String commandId) {
        Path file = fileOf(commandId);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            Seen seen = Json.MAPPER.readValue(Files.readAllBytes(file), Seen.class);
            return commandId.equals(seen.commandId()) ? Optional.of(seen) : Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** Remembers the command id as brought by this event, persisted before the command runs. */
    synchronized void remember(String commandId, String eventId, byte[] data, Instant deadline) {
        if (clock.instant().isAfter(lastPrune.plus(PRUNE_EVERY))) {
            forgetExpired();
        }
        Path file = fileOf(commandId);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.write(tmp, Json.MAPPER.writeValueAsBytes(new Seen(commandId, eventId, sha256(data),
                    deadline.plus(keepBeyondDeadline))));
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot persist seen command " + commandId + " in " + dir, e);
        }
    }

    /** Forgets the command ids whose deadline (plus skew) has passed; an unreadable entry is dropped. */
    synchronized void forgetExpired() {
        Instant now = clock.instant();
        lastPrune = now;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(p -> p.getFileName().toString().endsWith(".json")).toList()) {
                try {
                    if (Json.MAPPER.readValue(Files.readAllBytes(file), Seen.class).forgetAfter().isBefore(now)) {
                        Files.deleteIfExists(file);
                    }
                } catch (IOException | RuntimeException e) {
                    LOG.warning("dropping unreadable seen-command entry " + file + ": " + e);
                    Files.deleteIfExists(file);
                }
            }
        } catch (IOException e) {
            LOG.warning("cannot prune " + dir + ": " + e);
        }
    }

    /** Command ids may hold characters a file name cannot, and two ids must never share a file: their hash names it. */
    private Path fileOf(String commandId) {
        return dir.resolve(sha256(commandId.getBytes(StandardCharsets.UTF_8)) + ".json");
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
