package io.wslfleet.protocol;

import java.time.Duration;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Runs an operation until it succeeds, a failure is not worth retrying, or the attempts are used up: the one retry
 * loop of the project's bounded retries (a consumer applying an event). A failure that {@code final_} accepts (bad
 * data: it fails the same way every time) ends the loop at once; any other is retried after the {@link Backoff}.
 */
public final class Retry {
    /** What a loop does between attempts; tests pass one that does not wait. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration duration) throws InterruptedException;
    }

    public static final Sleeper THREAD_SLEEP = d -> Thread.sleep(d.toMillis());

    private Retry() {
    }

    /** How a retried operation ended. */
    public sealed interface Outcome<T> permits Done, GaveUp {
    }

    public record Done<T>(T value) implements Outcome<T> {
    }

    /**
     * @param fatal   true when the failure was final at once (not worth retrying)
     * @param attempt the attempts made
     */
    public record GaveUp<T>(RuntimeException failure, boolean fatal, int attempt) implements Outcome<T> {
    }

    public static <T> Outcome<T> run(Supplier<T> operation, int maxAttempts, Backoff backoff,
                                     Predicate<Throwable> isFinal, Sleeper sleeper) {
        for (int attempt = 1; ; attempt++) {
            try {
                T value = operation.get();
                backoff.reset();
                return new Done<>(value);
            } catch (RuntimeException e) {
                if (isFinal.test(e)) {
                    return new GaveUp<>(e, true, attempt);
                }
                if (attempt >= maxAttempts) {
                    return new GaveUp<>(e, false, attempt);
                }
                try {
                    sleeper.sleep(backoff.next());
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return new GaveUp<>(e, false, attempt);
                }
            }
        }
    }
}
