package io.wslfleet.orchestrator.bus;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

/** A poll split into shares for the ingest threads: each machine in one share, its events in their order. */
class AgentEventSharesTest {

    @Test
    void eachMachinesEventsStayInOneShareInTheirOrder() {
        List<ConsumerRecord<String, byte[]>> poll = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            poll.add(new ConsumerRecord<>("fleet.agent-events", i % 4, i, "pc-" + (i % 37) + "/dev",
                    new byte[] {(byte) i}));
        }
        List<List<ConsumerRecord<String, byte[]>>> shares = EventConsumers.byMachine(poll, 3);

        assertThat(shares).hasSizeBetween(2, 3);
        assertThat(shares.stream().mapToInt(List::size).sum()).isEqualTo(poll.size());
        for (List<ConsumerRecord<String, byte[]>> share : shares) {
            for (List<ConsumerRecord<String, byte[]>> other : shares) {
                if (other != share) {
                    assertThat(other).noneMatch(r -> share.stream().anyMatch(s -> s.key().equals(r.key())));
                }
            }
            for (int i = 1; i < share.size(); i++) {
                assertThat(share.get(i).offset()).isGreaterThan(share.get(i - 1).offset());
            }
        }
    }

    @Test
    void oneThreadOrAnEmptyPollIsOneShare() {
        List<ConsumerRecord<String, byte[]>> poll = List.of(
                new ConsumerRecord<>("fleet.agent-events", 0, 0, "a/dev", new byte[0]),
                new ConsumerRecord<>("fleet.agent-events", 0, 1, null, new byte[0]));
        assertThat(EventConsumers.byMachine(poll, 1)).containsExactly(poll);
        assertThat(EventConsumers.byMachine(List.of(), 2)).containsExactly(List.of());
    }
}
