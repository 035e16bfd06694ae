package io.wslfleet.agent;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

/**
 * Reads this agent's partition of the command topic for as long as the agent runs, hands records keyed for this
 * agent to the handler one at a time and commits each. A broker that stays away longer than the client's timeouts
 * makes {@code poll} or {@code commitSync} throw: the loop waits and carries on, seeking back to the first record
 * whose offset was not committed, so a command is neither lost nor (thanks to the stored results) executed twice.
 */
final class CommandLoop {

    private static final Logger LOG = Logger.getLogger(CommandLoop.class.getName());

    private final KafkaConsumer<String, byte[]> consumer;
    private final String agentId;
    private final Consumer<ConsumerRecord<String, byte[]>> handler;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;
    private final Object pause = new Object();

    CommandLoop(KafkaConsumer<String, byte[]> consumer, String agentId, Consumer<ConsumerRecord<String, byte[]>> handler) {
        this.consumer = consumer;
        this.agentId = agentId;
        this.handler = handler;
        this.thread = new Thread(this::run, "agent-commands");
    }

    void start(TopicPartition mine) {
        consumer.assign(List.of(mine));
        thread.start();
    }

    private void run() {
        try {
            while (running.get()) {
                try {
                    for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                        if (agentId.equals(record.key())) {
                            handler.accept(record);
                        }
                        consumer.commitSync(Map.of(new TopicPartition(record.topic(), record.partition()),
                                new OffsetAndMetadata(record.offset() + 1)));
                    }
                } catch (WakeupException e) {
                    throw e;
                } catch (KafkaException e) {
                    LOG.log(Level.WARNING, "broker unreachable for commands, retrying: " + e.getMessage());
                    rewindToCommitted();
                    waitBeforeRetry(Duration.ofSeconds(5));
                }
            }
        } catch (WakeupException e) {
            if (running.get()) {
                LOG.log(Level.SEVERE, "unexpected wakeup", e);
            }
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "command loop stopped", e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /** After a failed commit, the records after the last committed offset are read again (results are stored). */
    private void rewindToCommitted() {
        try {
            for (TopicPartition partition : consumer.assignment()) {
                OffsetAndMetadata committed = consumer.committed(java.util.Set.of(partition)).get(partition);
                if (committed != null) {
                    consumer.seek(partition, committed.offset());
                }
            }
        } catch (KafkaException e) {
            // still unreachable: the position stays where it was; a command read twice is answered from its result
        }
    }

    /** Waits, or returns at once when the agent is closed. */
    private void waitBeforeRetry(Duration d) {
        synchronized (pause) {
            try {
                if (running.get()) {
                    pause.wait(d.toMillis());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                running.set(false);
            }
        }
    }

    void close() {
        running.set(false);
        synchronized (pause) {
            pause.notifyAll();
        }
        consumer.wakeup();
        try {
            thread.join(15_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
