package io.wslfleet.orchestrator.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import java.util.List;

class PlanWordsTest {

    private static RolloutPlan.Wave wave(String name, Integer count, Integer percent, int errors, long soak) {
        return new RolloutPlan.Wave(name, count, percent, 100, errors, soak);
    }

    @Test
    void aPlanReadsAsASentenceWithItsSharedRules() {
        RolloutPlan plan = new RolloutPlan(List.of(wave("canary", 1, null, 0, 120), wave("wave-1", null, 25, 0, 120),
                wave("wave-2", null, 100, 0, 120)));

        assertThat(PlanWords.describe(plan)).isEqualTo("A canary of 1 machine, then 25% of the targets, then the rest. "
                + "Each wave needs 100% successes, halts above 0% errors and soaks 2 min before the next.");
    }

    @Test
    void wavesWithTheirOwnRulesSayThemOneByOne() {
        RolloutPlan plan = new RolloutPlan(List.of(wave("canary", 3, null, 0, 0), wave("wave-1", null, 100, 10, 0)));

        assertThat(PlanWords.describe(plan)).isEqualTo("A canary of 3 machines, then the rest. "
                + "Canary needs 100% successes, halts above 0% errors. Wave-1 needs 100% successes, halts above 10% errors.");
    }

    @Test
    void aRolloutInOneWaveHasNoCanary() {
        RolloutPlan plan = new RolloutPlan(List.of(wave("canary", 1, null, 0, 0), wave("wave-1", null, 100, 0, 0)));

        assertThat(PlanWords.waveName(plan, 0, 1)).isEqualTo("wave-1");
        assertThat(PlanWords.waveName(plan, 0, 2)).isEqualTo("canary");
        assertThat(PlanWords.waveName(plan, 1, 2)).isEqualTo("wave-1");
    }

    @Test
    void secondsReadAsPeopleSayThem() {
        assertThat(PlanWords.seconds(45)).isEqualTo("45 s");
        assertThat(PlanWords.seconds(300)).isEqualTo("5 min");
        assertThat(PlanWords.seconds(5400)).isEqualTo("1 h 30 min");
    }
}
