package io.wslfleet.agent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

import io.wslfleet.protocol.Json;
import io.wslfleet.protocol.events.CommandResult;

/**
 * What the agent keeps on disk, so that a restart changes nothing the orchestrator can see: the per-agent sequence
 * (every event carries the next one; the orchestrator ignores anything at or below the last it saw), each finished
 * command's result by command id (a repeated command re-sends it instead of running twice), downloads in progress.
 */
public final class AgentState {

    private final Path dir;
    private final long epoch;
    private long sequence;

    public AgentState(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir.resolve("results"));
            Files.createDirectories(dir.resolve("staging"));
            Files.createDirectories(dir.resolve("distros"));
            Path seq = dir.resolve("sequence");
            Path epochFile = dir.resolve("epoch");
            if (!Files.exists(epochFile)) {
                // A fresh state starts a new epoch, so the orchestrator hears this agent again from sequence 1; a
                // state from before epochs keeps epoch 0 and its sequence.
                writeAtomically(epochFile, Files.exists(seq) ? "0" : Long.toString(System.currentTimeMillis()));
            }
            epoch = Long.parseLong(Files.readString(epochFile).trim());
            sequence = Files.exists(seq) ? Long.parseLong(Files.readString(seq).trim()) : 0;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot use agent state directory " + dir, e);
        }
    }

    /** When this state was created (epoch ms): the agent's epoch, see {@code AgentEvent}. */
    public long epoch() {
        return epoch;
    }

    /** The next sequence number, persisted before it is used. */
    public synchronized long nextSequence() {
        sequence++;
        writeAtomically(dir.resolve("sequence"), Long.toString(sequence));
        return sequence;
    }

    public Optional<CommandResult> result(String commandId) {
        Path p = dir.resolve("results").resolve(safe(commandId) + ".json");
        if (!Files.exists(p)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Json.MAPPER.readValue(Files.readAllBytes(p), CommandResult.class));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void saveResult(CommandResult result) {
        try {
            writeAtomically(dir.resolve("results").resolve(safe(result.commandId()) + ".json"),
                    Json.MAPPER.writeValueAsString(result));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A change to the distro in progress: written before the system profile is repointed, removed once the
     * command's result is stored. Found at start, it means the agent died in between.
     */
    public record InFlight(String commandId, String distro, Integer previousGeneration, String expectedSystemPath,
                           Integer newGeneration, String mode, String backup, String home) {

        static InFlight inPlace(String commandId, String distro, Integer previous, String expected) {
            return new InFlight(commandId, distro, previous, expected, null, "IN_PLACE", null, null);
        }

        /** A reimport: the distro's backup, and the copy of its {@code /home} the fresh install gets. */
        static InFlight reimport(String commandId, String distro, String expected, java.nio.file.Path backup,
                                 java.nio.file.Path home) {
            return new InFlight(commandId, distro, null, expected, null, "REIMPORT", backup.toString(), home.toString());
        }

        InFlight withNewGeneration(Integer generation) {
            return new InFlight(commandId, distro, previousGeneration, expectedSystemPath, generation, mode, backup, home);
        }

        boolean isReimport() {
            return "REIMPORT".equals(mode);
        }
    }

    public void beginChange(InFlight change) {
        try {
            writeAtomically(dir.resolve("inflight.json"), Json.MAPPER.writeValueAsString(change));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Optional<InFlight> inFlight() {
        Path p = dir.resolve("inflight.json");
        if (!Files.exists(p)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Json.MAPPER.readValue(Files.readAllBytes(p), InFlight.class));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void endChange() {
        try {
            Files.deleteIfExists(dir.resolve("inflight.json"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path backups() {
        return dir.resolve("backups");
    }

    public Path staging() {
        return dir.resolve("staging");
    }

    /** Where a distro's disk goes ({@code --location}). */
    public Path distroLocation(String name) {
        return dir.resolve("distros").resolve(name);
    }

    private static String safe(String id) {
        return id.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    private void writeAtomically(Path target, String content) {
        try {
            Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
            Files.writeString(tmp, content, StandardCharsets.UTF_8);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
