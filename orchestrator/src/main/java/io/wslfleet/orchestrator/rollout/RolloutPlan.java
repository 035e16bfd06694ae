package io.wslfleet.orchestrator.rollout;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import java.util.ArrayList;
import java.util.List;

/**
 * The waves of a rollout, the canary first. A wave's size is a count or a percent of all targets (rounded up, at least
 * one); targets left over after the listed waves join the last one.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record RolloutPlan(List<Wave> waves) {

    /**
     * @param successThresholdPercent share of the wave that must succeed before the next wave starts
     * @param errorThresholdPercent   the rollout halts when the wave's error share is strictly above this
     * @param soakSeconds             wait after the wave succeeded, before the next one starts
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Wave(String name, Integer count, Integer percent, int successThresholdPercent,
                       int errorThresholdPercent, long soakSeconds) {
        public Wave {
            if ((count == null) == (percent == null)) {
                throw new IllegalArgumentException("wave " + name + ": give exactly one of count or percent");
            }
            if (count != null && count < 1) {
                throw new IllegalArgumentException("wave " + name + ": count must be at least 1");
            }
            if (percent != null && (percent < 1 || percent > 100)) {
                throw new IllegalArgumentException("wave " + name + ": percent must be 1 to 100");
            }
            if (successThresholdPercent < 0 || successThresholdPercent > 100
                    || errorThresholdPercent < 0 || errorThresholdPercent > 100) {
                throw new IllegalArgumentException("wave " + name + ": thresholds are percents, 0 to 100");
            }
            if (soakSeconds < 0) {
                throw new IllegalArgumentException("wave " + name + ": soakSeconds must not be negative");
            }
        }

        int sizeOf(int total) {
            return count != null ? count : (int) Math.max(1, Math.ceil(percent * total / 100.0));
        }
    }

    public RolloutPlan {
        if (waves == null || waves.isEmpty()) {
            throw new IllegalArgumentException("a rollout needs at least one wave");
        }
        waves = List.copyOf(waves);
    }

    /** How many of {@code total} targets go into each wave; empty waves at the end are dropped. */
    public List<Integer> sizes(int total) {
        List<Integer> sizes = new ArrayList<>();
        int left = total;
        for (int i = 0; i < waves.size() && left > 0; i++) {
            boolean last = i == waves.size() - 1;
            int size = last ? left : Math.min(left, waves.get(i).sizeOf(total));
            sizes.add(size);
            left -= size;
        }
        return sizes;
    }
}
