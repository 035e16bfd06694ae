package io.wslfleet.orchestrator.rollout;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import java.util.List;
import java.util.Map;

/**
 * Which machines a rollout is for. Empty parts do not restrict; given parts must all match.
 *
 * @param machineIds agent ids
 * @param labels     every label given must be set to the value given
 * @param rings      the machine's ring is one of these
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record TargetFilter(List<String> machineIds, Map<String, String> labels, List<String> rings) {
    public TargetFilter {
        machineIds = machineIds == null ? List.of() : List.copyOf(machineIds);
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        rings = rings == null ? List.of() : List.copyOf(rings);
    }
}
