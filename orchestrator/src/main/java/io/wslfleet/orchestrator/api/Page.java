package io.wslfleet.orchestrator.api;

import java.util.List;

/** One page of a list, with the total count for the filter. */
public record Page<T>(List<T> items, int page, int size, long total) {
}
