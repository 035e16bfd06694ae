package io.wslfleet.orchestrator.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** Approvals, maintenance windows, the download cap, deadlines and joiners, at a given instant. */
class DispatchRulesTest {
    private static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");
    private static final MaintenanceWindow EVENINGS = new MaintenanceWindow("0 22 * * 1-5", 120, "Europe/Berlin");

    private static Instant berlin(String localDateTime) {
        return LocalDateTime.parse(localDateTime).atZone(ZoneId.of("Europe/Berlin")).toInstant();
    }

    private static DispatchRules.Gate gate(boolean approval, int approvedWave, int wave, MaintenanceWindow window,
                                           Integer cap) {
        return new DispatchRules.Gate(approval, approvedWave, wave, window, cap);
    }

    @Test
    void withoutApprovalsWindowOrCapEveryPendingMachineIsCommanded() {
        assertThat(DispatchRules.decide(gate(false, -1, 0, null, null), 25, 0, NOW))
                .isEqualTo(new DispatchRules.Dispatch(25));
    }

    @Test
    void eachWaveWaitsForItsOwnApproval() {
        // nothing approved: the canary (wave 0) waits
        assertThat(DispatchRules.decide(gate(true, -1, 0, null, null), 1, 0, NOW))
                .isEqualTo(new DispatchRules.WaitForApproval(0));
        // the canary approved: it goes out
        assertThat(DispatchRules.decide(gate(true, 0, 0, null, null), 1, 0, NOW))
                .isEqualTo(new DispatchRules.Dispatch(1));
        // the next wave needs an approval of its own: the canary's does not carry over
        assertThat(DispatchRules.decide(gate(true, 0, 1, null, null), 10, 0, NOW))
                .isEqualTo(new DispatchRules.WaitForApproval(1));
        assertThat(DispatchRules.decide(gate(true, 1, 1, null, null), 10, 0, NOW))
                .isEqualTo(new DispatchRules.Dispatch(10));
    }

    @Test
    void commandsGoOutOnlyWhileTheWindowIsOpenAndTheWaitNamesTheNextOpening() {
        var gate = gate(false, -1, 0, EVENINGS, null);
        Instant mondayBefore = berlin("2026-11-23T21:59:59");
        assertThat(DispatchRules.decide(gate, 5, 0, mondayBefore))
                .isEqualTo(new DispatchRules.WaitForWindow(java.util.Optional.of(berlin("2026-11-23T22:00:00"))));
        assertThat(DispatchRules.decide(gate, 5, 0, berlin("2026-11-23T22:00:00")))
                .isEqualTo(new DispatchRules.Dispatch(5));
        assertThat(DispatchRules.decide(gate, 5, 0, berlin("2026-11-23T23:59:59")))
                .isEqualTo(new DispatchRules.Dispatch(5));
        // closed again after its 120 minutes; Friday night's close waits for Monday
        assertThat(DispatchRules.decide(gate, 5, 0, berlin("2026-11-24T00:00:00")))
                .isInstanceOf(DispatchRules.WaitForWindow.class);
        assertThat(DispatchRules.decide(gate, 5, 0, berlin("2026-11-28T00:30:00")))
                .isEqualTo(new DispatchRules.WaitForWindow(java.util.Optional.of(berlin("2026-11-30T22:00:00"))));
    }

    @Test
    void anUnapprovedWaveWaitsForItsApprovalEvenInsideTheWindow() {
        assertThat(DispatchRules.decide(gate(true, 0, 1, EVENINGS, null), 5, 0, berlin("2026-11-23T22:30:00")))
                .isEqualTo(new DispatchRules.WaitForApproval(1));
    }

    @Test
    void theDownloadCapCountsMachinesAlreadyBusy() {
        var capped = gate(false, -1, 0, null, 10);
        assertThat(DispatchRules.decide(capped, 50, 0, NOW)).isEqualTo(new DispatchRules.Dispatch(10));
        assertThat(DispatchRules.decide(capped, 50, 7, NOW)).isEqualTo(new DispatchRules.Dispatch(3));
        assertThat(DispatchRules.decide(capped, 50, 10, NOW)).isEqualTo(new DispatchRules.Dispatch(0));
        // more busy than the cap (the cap was lowered mid-rollout): none, never a negative count
        assertThat(DispatchRules.decide(capped, 50, 14, NOW)).isEqualTo(new DispatchRules.Dispatch(0));
        assertThat(DispatchRules.decide(capped, 2, 0, NOW)).isEqualTo(new DispatchRules.Dispatch(2));
    }

    @Test
    void silenceIsAFailureOnlyPastTheDeadline() {
        Instant deadline = NOW.plusSeconds(600);
        assertThat(DispatchRules.overdue(DeploymentState.COMMANDED, deadline, deadline)).isEmpty();
        assertThat(DispatchRules.overdue(DeploymentState.COMMANDED, deadline, deadline.plusMillis(1)))
                .contains(DeploymentState.TIMED_OUT);
        // a machine that reported progress but no result is as overdue as a silent one
        for (DeploymentState inFlight : List.of(DeploymentState.DOWNLOADING, DeploymentState.INSTALLING,
                DeploymentState.ACTIVATING, DeploymentState.VERIFYING)) {
            assertThat(DispatchRules.overdue(inFlight, deadline, deadline.plusSeconds(1)))
                    .as(inFlight.name()).contains(DeploymentState.TIMED_OUT);
        }
        // a rollback that never reports back failed
        assertThat(DispatchRules.overdue(DeploymentState.ROLLING_BACK, deadline, deadline.plusSeconds(1)))
                .contains(DeploymentState.ROLLBACK_FAILED);
        // finished, pending and deadline-less deployments are left alone
        for (DeploymentState done : List.of(DeploymentState.SUCCEEDED, DeploymentState.FAILED,
                DeploymentState.ROLLED_BACK, DeploymentState.CANCELLED, DeploymentState.PENDING)) {
            assertThat(DispatchRules.overdue(done, deadline, deadline.plusSeconds(3600))).as(done.name()).isEmpty();
        }
        assertThat(DispatchRules.overdue(DeploymentState.COMMANDED, null, NOW)).isEmpty();
        assertThat(DispatchRules.WITH_DEADLINE).containsExactlyInAnyOrder(DeploymentState.COMMANDED,
                DeploymentState.DOWNLOADING, DeploymentState.INSTALLING, DeploymentState.ACTIVATING,
                DeploymentState.VERIFYING, DeploymentState.ROLLING_BACK);
    }

    @Test
    void machinesMatchingALabelTargetLaterJoinOnceAndNamedTargetsHaveNoJoiners() {
        var byLabel = new TargetFilter(null, Map.of("team", "data"), null);
        assertThat(DispatchRules.joiners(byLabel, List.of("a/u", "b/u"), List.of("a/u", "c/u", "b/u", "d/u")))
                .containsExactly("c/u", "d/u");
        assertThat(DispatchRules.joiners(byLabel, List.of("a/u", "c/u", "b/u", "d/u"), List.of("a/u", "c/u")))
                .isEmpty();
        var named = new TargetFilter(List.of("a/u"), null, null);
        assertThat(DispatchRules.joiners(named, List.of("a/u"), List.of("a/u", "z/u"))).isEmpty();
    }
}
