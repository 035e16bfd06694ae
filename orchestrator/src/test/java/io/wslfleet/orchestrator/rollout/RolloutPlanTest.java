package io.wslfleet.orchestrator.rollout;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RolloutPlanTest {

    private static RolloutPlan.Wave count(int n) {
        return new RolloutPlan.Wave("c" + n, n, null, 100, 0, 0);
    }

    private static RolloutPlan.Wave percent(int p) {
        return new RolloutPlan.Wave("p" + p, null, p, 100, 0, 0);
    }

    @Test
    void canaryCountThenPercentWavesWithTheRemainderInTheLast() {
        RolloutPlan plan = new RolloutPlan(List.of(count(1), percent(10), percent(50)));

        assertThat(plan.sizes(200)).containsExactly(1, 20, 179);
    }

    @Test
    void percentsRoundUpAndNeverMakeAnEmptyWave() {
        RolloutPlan plan = new RolloutPlan(List.of(percent(5), percent(100)));

        assertThat(plan.sizes(3)).containsExactly(1, 2);
    }

    @Test
    void wavesBeyondTheTargetsAreDropped() {
        RolloutPlan plan = new RolloutPlan(List.of(count(1), count(5), percent(100)));

        assertThat(plan.sizes(1)).containsExactly(1);
        assertThat(plan.sizes(4)).containsExactly(1, 3);
    }

    @Test
    void aWaveTakesExactlyOneOfCountAndPercent() {
        assertThatThrownBy(() -> new RolloutPlan.Wave("bad", 1, 10, 100, 0, 0))
                .hasMessageContaining("exactly one of count or percent");
        assertThatThrownBy(() -> new RolloutPlan.Wave("bad", null, 101, 100, 0, 0))
                .hasMessageContaining("percent must be 1 to 100");
    }

    @Test
    void requestDefaultsAreACanaryOfOneThenEverythingElse() {
        var request = new CreateRolloutRequest("r", "rel", new TargetFilter(null, null, null), null, null, null, null,
                null, null, null, null, null, null, null, null, null);

        RolloutPlan plan = RolloutService.plan(request);

        assertThat(plan.waves()).extracting(RolloutPlan.Wave::name).containsExactly("canary", "wave-1");
        assertThat(plan.sizes(10)).containsExactly(1, 9);
        assertThat(plan.waves().get(0).errorThresholdPercent()).isZero();
        assertThat(plan.waves().get(0).successThresholdPercent()).isEqualTo(100);
    }
}
