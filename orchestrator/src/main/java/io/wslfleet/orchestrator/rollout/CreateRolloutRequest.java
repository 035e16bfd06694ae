package io.wslfleet.orchestrator.rollout;

import io.wslfleet.protocol.events.UpgradeMode;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;

import java.util.List;

/**
 * What an operator asks for. Defaults: a canary of one machine, then the rest in one wave; 0% errors tolerated; 100%
 * success required; no soak; the configured deadline; automatic rollback on; upgrade in place; created as a draft.
 */
public record CreateRolloutRequest(
        @NotBlank String name,
        @NotBlank String releaseId,
        @NotNull TargetFilter target,
        @Valid WaveSize canary,
        List<@Valid WaveSize> waves,
        @Min(0) @Max(100) Integer successThresholdPercent,
        @Min(0) @Max(100) Integer errorThresholdPercent,
        @Min(0) Long soakSeconds,
        @Min(1) Integer deadlineSeconds,
        Boolean autoRollback,
        UpgradeMode mode,
        Boolean backupFirst,
        Boolean start,
        @Valid MaintenanceWindow maintenanceWindow,
        Boolean approvalRequired,
        @Min(1) Integer maxConcurrentDownloads) {

    /** A wave's size (exactly one of count and percent) and, optionally, its own thresholds and soak. */
    public record WaveSize(@Min(1) Integer count, @Min(1) @Max(100) Integer percent,
                           @Min(0) @Max(100) Integer successThresholdPercent,
                           @Min(0) @Max(100) Integer errorThresholdPercent,
                           @Min(0) Long soakSeconds) {
    }
}
