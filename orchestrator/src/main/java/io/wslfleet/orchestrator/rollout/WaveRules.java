package io.wslfleet.orchestrator.rollout;

import java.time.Instant;

/** The decisions about one wave, free of persistence so every rule is tested with plain values. */
public final class WaveRules {
    private WaveRules() {
    }

    /** What a wave's deployments add up to. */
    public record Counts(int total, int succeeded, int errors, int inFlight, int pending, int cancelled) {
        int terminal() {
            return succeeded + errors + cancelled;
        }
    }

    public sealed interface Verdict permits Proceed, Halt, Wait, Soak {
    }

    /** Keep going: dispatch what is pending, wait for what is in flight. */
    public record Wait() implements Verdict {
    }

    /** The wave is done and good; start the soak (or the next wave when soakUntil has passed). */
    public record Soak(Instant until) implements Verdict {
    }

    /** The wave is done, good, and soaked: the next wave may start. */
    public record Proceed() implements Verdict {
    }

    public record Halt(String reason) implements Verdict {
    }

    public static Verdict evaluate(RolloutPlan.Wave wave, Counts counts, Instant now, Instant soakUntil) {
        if (counts.total() == 0) {
            return new Proceed();
        }
        // Strictly above: a threshold of 10% lets one failure in ten through and halts on the second.
        if ((long) counts.errors() * 100 > (long) wave.errorThresholdPercent() * counts.total()) {
            return new Halt(String.format("wave %s: %d of %d failed (%.1f%%), above the %d%% error threshold",
                    wave.name(), counts.errors(), counts.total(), 100.0 * counts.errors() / counts.total(),
                    wave.errorThresholdPercent()));
        }
        if (counts.terminal() < counts.total()) {
            return new Wait();
        }
        if ((long) counts.succeeded() * 100 < (long) wave.successThresholdPercent() * counts.total()) {
            return new Halt(String.format("wave %s: %d of %d succeeded, below the %d%% success threshold",
                    wave.name(), counts.succeeded(), counts.total(), wave.successThresholdPercent()));
        }
        if (soakUntil == null) {
            Instant until = now.plusSeconds(wave.soakSeconds());
            return until.isAfter(now) ? new Soak(until) : new Proceed();
        }
        return now.isBefore(soakUntil) ? new Soak(soakUntil) : new Proceed();
    }
}
