package io.wslfleet.orchestrator.rollout;

import io.wslfleet.orchestrator.api.Problem.FieldError;

import java.time.Instant;
import java.util.List;

/**
 * What a rollout request would do if it were created now, and what is wrong with it: the admitted machines its target
 * matches, the size of each wave for that many, the maintenance window's next openings, and the field errors a
 * create would refuse it for. Nothing is created.
 *
 * @param matched        admitted machines the target matches now (0 for an empty target)
 * @param waves          the canary first; empty while the wave sizes themselves are invalid
 * @param windowOpenings the maintenance window's next openings, none without a window
 * @param errors         what {@code POST /api/v1/rollouts} would refuse, field by field; empty when it would not
 */
public record RolloutPreview(long matched, List<WavePreview> waves, List<Opening> windowOpenings,
                             List<FieldError> errors) {

    /** A wave as planned: its size as asked ({@code count} or {@code percent}) and in machines for this target. */
    public record WavePreview(String name, Integer count, Integer percent, int machines, int successThresholdPercent,
                              int errorThresholdPercent, long soakSeconds) {
    }

    /** One opening of the window; {@code local} is its wall-clock time in the window's own zone. */
    public record Opening(Instant opensAt, Instant closesAt, String local) {
    }
}
