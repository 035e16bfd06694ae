package io.wslfleet.protocol;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with full jitter, the one retry schedule of every program: each {@link #next()} doubles the
 * ceiling from {@code initial} up to {@code max} and waits a random time below it, so thousands of agents that lost
 * the broker at once do not come back at once. {@link #reset()} after a success.
 */
public final class Backoff {
    private final Duration initial;
    private final Duration max;
    private Duration ceiling;
    private int failures;

    public Backoff(Duration initial, Duration max) {
        if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("backoff from " + initial + " to " + max);
        }
        this.initial = initial;
        this.max = max;
        this.ceiling = initial;
    }

    /** The wait before the next try, between half the current ceiling and the ceiling; the ceiling then doubles. */
    public Duration next() {
        long ceilingMs = ceiling.toMillis();
        long wait = ceilingMs / 2 + ThreadLocalRandom.current().nextLong(ceilingMs / 2 + 1);
        Duration doubled = ceiling.multipliedBy(2);
        ceiling = doubled.compareTo(max) > 0 ? max : doubled;
        failures++;
        return Duration.ofMillis(wait);
    }

    /** How many times {@link #next()} was asked since the last reset: the failures in a row. */
    public int failures() {
        return failures;
    }

    public void reset() {
        ceiling = initial;
        failures = 0;
    }
}
