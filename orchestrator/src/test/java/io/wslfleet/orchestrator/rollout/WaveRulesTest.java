package io.wslfleet.orchestrator.rollout;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class WaveRulesTest {
    private static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");

    private static RolloutPlan.Wave wave(int successPct, int errorPct, long soak) {
        return new RolloutPlan.Wave("w", 10, null, successPct, errorPct, soak);
    }

    private static WaveRules.Counts counts(int total, int succeeded, int errors, int inFlight) {
        return new WaveRules.Counts(total, succeeded, errors, inFlight, total - succeeded - errors - inFlight, 0);
    }

    @Test
    void errorShareAtTheThresholdDoesNotHalt() {
        var verdict = WaveRules.evaluate(wave(90, 10, 0), counts(10, 9, 1, 0), NOW, null);

        assertThat(verdict).isInstanceOf(WaveRules.Proceed.class);
    }

    @Test
    void errorShareJustPastTheThresholdHaltsEvenWithMachinesInFlight() {
        var verdict = WaveRules.evaluate(wave(80, 10, 0), counts(10, 3, 2, 5), NOW, null);

        assertThat(verdict).isInstanceOfSatisfying(WaveRules.Halt.class,
                h -> assertThat(h.reason()).contains("2 of 10 failed").contains("10% error threshold"));
    }

    @Test
    void zeroThresholdHaltsOnTheFirstFailure() {
        assertThat(WaveRules.evaluate(wave(100, 0, 0), counts(10, 0, 1, 9), NOW, null))
                .isInstanceOf(WaveRules.Halt.class);
    }

    @Test
    void waitsWhileMachinesAreInFlight() {
        assertThat(WaveRules.evaluate(wave(100, 0, 0), counts(10, 9, 0, 1), NOW, null))
                .isInstanceOf(WaveRules.Wait.class);
    }

    @Test
    void successBelowItsThresholdHaltsOnceTheWaveIsDone() {
        var c = new WaveRules.Counts(10, 8, 0, 0, 0, 2);

        assertThat(WaveRules.evaluate(wave(90, 0, 0), c, NOW, null))
                .isInstanceOfSatisfying(WaveRules.Halt.class,
                        h -> assertThat(h.reason()).contains("below the 90% success threshold"));
    }

    @Test
    void soaksBeforeProceedingAndProceedsWhenTheSoakIsOver() {
        var done = counts(10, 10, 0, 0);

        var first = WaveRules.evaluate(wave(100, 0, 600), done, NOW, null);
        assertThat(first).isEqualTo(new WaveRules.Soak(NOW.plusSeconds(600)));
        assertThat(WaveRules.evaluate(wave(100, 0, 600), done, NOW.plusSeconds(599), NOW.plusSeconds(600)))
                .isInstanceOf(WaveRules.Soak.class);
        assertThat(WaveRules.evaluate(wave(100, 0, 600), done, NOW.plusSeconds(600), NOW.plusSeconds(600)))
                .isInstanceOf(WaveRules.Proceed.class);
    }

    @Test
    void anEmptyWaveProceeds() {
        assertThat(WaveRules.evaluate(wave(100, 0, 0), counts(0, 0, 0, 0), NOW, null))
                .isInstanceOf(WaveRules.Proceed.class);
    }
}
