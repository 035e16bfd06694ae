package io.wslfleet.orchestrator.rollout;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.wslfleet.orchestrator.machine.MachineQuery;

import java.util.List;
import java.util.Map;

/**
 * Which machines a rollout is for. Given parts must all match; a target of the whole fleet says so with
 * {@code all: true}, so that an empty or forgotten filter never means every machine.
 *
 * @param all        every registered machine (and nothing else may be given)
 * @param machineIds agent ids
 * @param labels     every label given must be set to the value given
 * @param rings      the machine's ring is one of these
 * @param wslVersions the machine's WSL version is one of these (as its agent reports it, e.g. {@code 2.4.13})
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record TargetFilter(Boolean all, List<String> machineIds, Map<String, String> labels, List<String> rings,
                           List<String> wslVersions) {
    public TargetFilter(List<String> machineIds, Map<String, String> labels, List<String> rings) {
        this(null, machineIds, labels, rings, null);
    }

    public boolean isEmpty() {
        return machineIds.isEmpty() && labels.isEmpty() && rings.isEmpty() && wslVersions.isEmpty();
    }

    /** The machines this target selects (admitted or not: add {@link MachineQuery#admitted()}). */
    public MachineQuery machines() {
        return MachineQuery.of(machineIds, labels, rings, wslVersions);
    }

    public TargetFilter {
        machineIds = machineIds == null ? List.of() : List.copyOf(machineIds);
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        rings = rings == null ? List.of() : List.copyOf(rings);
        wslVersions = wslVersions == null ? List.of() : List.copyOf(wslVersions);
    }
}
