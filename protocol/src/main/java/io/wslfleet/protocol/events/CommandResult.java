package io.wslfleet.protocol.events;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import java.util.List;

/**
 * How a command ended. Re-sent, unchanged but for the sequence, when the same command id arrives again.
 *
 * @param reason           why it did not succeed (null on success); an unknown name reads as {@link FailureReason#OTHER}
 * @param health           the health verified at the end: what the machine really runs
 * @param failedGeneration the generation that failed verification, when the agent rolled back from it
 * @param failedUnits      the units that failed on the failed generation
 * @param logTail          the last lines of the relevant log, for a person (its beginning cut past 64 KiB)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record CommandResult(String agentId, long epoch, long sequence, String commandId, String commandType,
                            CommandOutcome outcome,
                            @JsonFormat(with = JsonFormat.Feature.READ_UNKNOWN_ENUM_VALUES_USING_DEFAULT_VALUE)
                            FailureReason reason, String message, Health health,
                            Integer failedGeneration, List<String> failedUnits, String logTail)
        implements AgentEvent {
    public CommandResult {
        AgentId.check(agentId, "agentId");
        AgentEvent.checkEpoch(epoch);
        AgentEvent.checkSequence(sequence);
        Require.id(commandId, "commandId");
        Require.name(commandType, "commandType", 64);
        Require.nonNull(outcome, "outcome");
        message = Require.text(message, Require.MAX_MESSAGE);
        failedUnits = Health.units(failedUnits, "failedUnits");
        logTail = Require.tail(logTail, Require.MAX_LOG_TAIL);
    }

    public CommandResult(String agentId, long sequence, String commandId, String commandType,
                         CommandOutcome outcome, FailureReason reason, String message, Health health,
                         Integer failedGeneration, List<String> failedUnits, String logTail) {
        this(agentId, 0, sequence, commandId, commandType, outcome, reason, message, health, failedGeneration,
                failedUnits, logTail);
    }

    public CommandResult withSequence(long newSequence) {
        return at(epoch, newSequence);
    }

    @Override
    public CommandResult at(long newEpoch, long newSequence) {
        return new CommandResult(agentId, newEpoch, newSequence, commandId, commandType, outcome, reason, message,
                health, failedGeneration, failedUnits, logTail);
    }
}
