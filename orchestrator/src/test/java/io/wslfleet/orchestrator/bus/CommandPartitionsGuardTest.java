package io.wslfleet.orchestrator.bus;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.wslfleet.embedded.FleetInfra;
import io.wslfleet.embedded.KafkaRole;
import io.wslfleet.orchestrator.support.FleetInfraResource;
import io.wslfleet.protocol.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The start-up check of {@code fleet.commands}' partition count, against the JVM's embedded broker (a Quarkus test
 * only to share that broker; the orchestrator under test started, so its own check passed).
 */
@QuarkusTest
@QuarkusTestResource(FleetInfraResource.class)
class CommandPartitionsGuardTest {
    private Admin admin;

    @BeforeEach
    void connect() {
        // the admin principal: the orchestrator's may describe fleet.commands but create no topic
        admin = Admin.create(FleetInfra.shared().kafkaClientProperties(KafkaRole.ADMIN));
    }

    @AfterEach
    void disconnect() {
        admin.close();
    }

    @Test
    void theTopicWithTheConfiguredCountPasses() {
        assertThatCode(() -> CommandPartitionsGuard.check(admin, Topics.COMMANDS, Topics.DEFAULT_PARTITIONS))
                .doesNotThrowAnyException();
    }

    @Test
    void aTopicWhosePartitionsWereRaisedStopsTheStart() throws Exception {
        String topic = "guard-" + UUID.randomUUID();
        admin.createTopics(List.of(new NewTopic(topic, 4, (short) 1))).all().get();
        admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(6))).all().get();
        awaitPartitions(topic, 6); // the broker's metadata shows the new count a moment after the call returns

        assertThatThrownBy(() -> CommandPartitionsGuard.check(admin, topic, 4))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(topic + " has 6 partitions, the orchestrator is configured for 4")
                .hasMessageContaining("FLEET_COMMANDS_PARTITIONS");
    }

    private void awaitPartitions(String topic, int count) throws Exception {
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
        while (admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size() != count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(topic + " never showed " + count + " partitions");
            }
            Thread.sleep(50);
        }
    }

    @Test
    void aMissingTopicStopsTheStart() {
        assertThatThrownBy(() -> CommandPartitionsGuard.check(admin, "guard-missing-" + UUID.randomUUID(), 4))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("does not exist");
    }
}
