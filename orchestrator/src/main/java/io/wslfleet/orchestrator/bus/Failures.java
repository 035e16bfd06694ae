package io.wslfleet.orchestrator.bus;

import io.wslfleet.protocol.RejectReason;

import java.sql.SQLException;
import java.util.Optional;

/**
 * Tells a failure caused by an event's data, which fails the same way on every try and so goes to the dead-letter
 * topic at once, from a passing one (database or broker unavailable, a lock timeout, a deadlock, a unique key that a
 * concurrent instance inserted first), which is retried.
 */
final class Failures {
    private Failures() {
    }

    /** The dead-letter reason when {@code failure} is final at once, else empty (retry it). */
    static Optional<RejectReason> finalReason(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof RejectedEvent rejected) {
                return Optional.of(rejected.reason());
            }
            if (t instanceof IllegalArgumentException) {
                return Optional.of(RejectReason.UNPROCESSABLE);
            }
            if (t instanceof SQLException sql && isDataError(sql.getSQLState())) {
                return Optional.of(RejectReason.UNPROCESSABLE);
            }
        }
        return Optional.empty();
    }

    /**
     * SQLSTATE class 22 (data exception: a value too long, a NUL byte in text, a number out of range) and the
     * integrity violations that a value causes (not-null 23502, foreign key 23503, check 23514); a unique violation
     * (23505) is left to retry: two instances inserting the same new row is a race that the retry resolves.
     */
    static boolean isDataError(String sqlState) {
        return sqlState != null && (sqlState.startsWith("22") || sqlState.equals("23502")
                || sqlState.equals("23503") || sqlState.equals("23514"));
    }
}
