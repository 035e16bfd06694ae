package io.wslfleet.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.wslfleet.protocol.Json;
import org.junit.jupiter.api.Test;

/** What the sandbox says about a started rollout is what the orchestrator made of it, not what was asked. */
class LocalFleetWavesTest {

    @Test
    void aRolloutOfThreeMachinesIsSaidToHaveTheTwoWavesItCameOutWith() throws Exception {
        var rollout = Json.MAPPER.readTree("""
                {"id":1,"waves":[{"index":0,"name":"canary","size":1},{"index":1,"name":"wave-1","size":2}]}""");

        assertThat(LocalFleet.waves(rollout)).isEqualTo("3 machines in 2 waves (canary 1, wave-1 2)");
    }

    @Test
    void oneMachineIsOneWave() throws Exception {
        var rollout = Json.MAPPER.readTree("""
                {"id":2,"waves":[{"index":0,"name":"wave-1","size":1}]}""");

        assertThat(LocalFleet.waves(rollout)).isEqualTo("1 machine in 1 wave (wave-1 1)");
    }
}
