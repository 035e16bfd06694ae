package io.wslfleet.orchestrator.bus;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import io.wslfleet.orchestrator.FleetConfig;
import io.wslfleet.protocol.Topics;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Refuses to start when {@code fleet.commands} does not have the partitions it is configured with. An agent reads only
 * the partition its id hashes to ({@code murmur2(agentId) % partitions}, the producer's partitioner): once the count
 * changes, commands for an agent land on a partition it does not read, and it waits for them forever. A topic changed
 * by hand (Strimzi lets anyone raise {@code spec.partitions}) stops the orchestrator with this message rather than
 * leaving agents behind silently.
 */
@ApplicationScoped
public class CommandPartitionsGuard {

    @Inject
    FleetConfig config;

    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafka;

    void onStart(@Observes StartupEvent event) {
        try (Admin admin = Admin.create(kafka)) {
            check(admin, Topics.COMMANDS, config.commandsPartitions());
        }
    }

    /** Throws {@link IllegalStateException} unless {@code topic} exists with {@code expected} partitions. */
    static void check(Admin admin, String topic, int expected) {
        TopicDescription description;
        try {
            description = admin.describeTopics(List.of(topic)).allTopicNames().get(60, TimeUnit.SECONDS).get(topic);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                throw new IllegalStateException(topic + " does not exist: create it with " + expected
                        + " partitions (FLEET_COMMANDS_PARTITIONS) before the orchestrator starts");
            }
            throw new IllegalStateException("cannot read the partitions of " + topic + ": " + e.getCause(), e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("cannot read the partitions of " + topic + ": no answer from Kafka in 60 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the partitions of " + topic, e);
        }
        int actual = description.partitions().size();
        if (actual != expected) {
            throw new IllegalStateException(topic + " has " + actual + " partitions, the orchestrator is configured for "
                    + expected + " (FLEET_COMMANDS_PARTITIONS): agents read the partition their id hashes to, so a"
                    + " changed count strands them. Set FLEET_COMMANDS_PARTITIONS=" + actual + " only if no agent has"
                    + " connected yet; otherwise restore the topic (recreate it with " + expected + " partitions)");
        }
    }
}
