package io.wslfleet.agent;

import java.util.List;

import io.wslfleet.protocol.events.CommandOutcome;
import io.wslfleet.protocol.events.FailureReason;
import io.wslfleet.protocol.events.Health;

/** What a command came to: the result's outcome, reason, message, verified health and, after a failed generation, what failed. */
record Outcome(CommandOutcome outcome, FailureReason reason, String message, Health health, Integer failedGeneration,
               List<String> failedUnits, String logTail) {

    static Outcome succeeded(String message, Health health) {
        return new Outcome(CommandOutcome.SUCCEEDED, null, message, health, null, units(health), null);
    }

    static Outcome refused(FailureReason reason, String message, Health health) {
        return new Outcome(CommandOutcome.REFUSED, reason, message, health, null, units(health), null);
    }

    static Outcome failed(FailureReason reason, String message, Health health) {
        return new Outcome(CommandOutcome.FAILED, reason, message, health, null, units(health), null);
    }

    static Outcome rolledBack(String message, Health health) {
        return new Outcome(CommandOutcome.ROLLED_BACK, null, message, health, null, List.of(), null);
    }

    static Outcome rollbackFailed(FailureReason reason, String message, Health health) {
        return new Outcome(CommandOutcome.ROLLBACK_FAILED, reason, message, health, null, List.of(), null);
    }

    /** The same outcome, for a command that failed for {@code reason} first: a new generation's failure comes along. */
    Outcome after(FailureReason failureReason, String failure, Integer generation, List<String> units, String tail) {
        return new Outcome(outcome, failureReason, failure + "; " + message, health, generation,
                units == null ? List.of() : units, tail);
    }

    Outcome withMessage(String newMessage) {
        return new Outcome(outcome, reason, newMessage, health, failedGeneration, failedUnits, logTail);
    }

    private static List<String> units(Health health) {
        return health == null ? List.of() : health.failedUnits();
    }
}
