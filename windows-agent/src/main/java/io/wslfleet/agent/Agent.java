package io.wslfleet.agent;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongFunction;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.wslfleet.protocol.CloudEvent;
import io.wslfleet.protocol.Contract;
import io.wslfleet.protocol.EventCodec;
import io.wslfleet.protocol.EventDecoder;
import io.wslfleet.protocol.EventType;
import io.wslfleet.protocol.RejectReason;
import io.wslfleet.protocol.Topics;
import io.wslfleet.protocol.events.AgentCommand;
import io.wslfleet.protocol.events.AgentEvent;
import io.wslfleet.protocol.events.AgentHeartbeat;
import io.wslfleet.protocol.events.AgentRegistered;
import io.wslfleet.protocol.events.CommandOutcome;
import io.wslfleet.protocol.events.CommandProgress;
import io.wslfleet.protocol.events.CommandResult;
import io.wslfleet.protocol.events.EventData;
import io.wslfleet.protocol.events.HealthCheckCommand;
import io.wslfleet.protocol.events.Health;
import io.wslfleet.protocol.events.Inventory;
import io.wslfleet.protocol.events.InstallCommand;
import io.wslfleet.protocol.events.RollbackCommand;
import io.wslfleet.protocol.events.UpgradeCommand;
import io.wslfleet.protocol.events.BackupCommand;
import io.wslfleet.protocol.kafka.KafkaClientSettings;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;

/**
 * The agent: registers with its inventory, sends heartbeats with jitter, and executes its commands one at a time.
 * It reads only its own partition of {@code fleet.commands} (the one its agent id hashes to, as the producer's
 * default partitioner places it), skipping other agents' keys, and commits its position under its own group id.
 * Each command runs at most once per command id: the result is stored before it is sent, and a repeated command
 * gets the stored result again. Every event carries the next persisted per-agent sequence number.
 */
public final class Agent implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Agent.class.getName());
    public static final String VERSION = "0.1.0";

    private final AgentConfig config;
    private final Clock clock;
    private final AgentState state;
    private final DistroOps ops;
    private final KafkaProducer<String, byte[]> producer;
    private final KafkaConsumer<String, byte[]> consumer;
    private final ScheduledExecutorService heartbeats = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "agent-heartbeat");
        t.setDaemon(true);
        return t;
    });
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Object sendLock = new Object();
    private final AtomicReference<Health> lastHealth = new AtomicReference<>();
    private final Thread loop;
    private final String source;
    private final EventOutbox outbox;
    private final EventDecoder decoder;

    public Agent(AgentConfig config) {
        this(config, Clock.systemUTC());
    }

    Agent(AgentConfig config, Clock clock) {
        this.config = config;
        this.clock = clock;
        this.state = new AgentState(config.stateDir());
        this.ops = new DistroOps(config, new WslDriver(config.wslPath(), config.wslTimeout()), state, clock);
        this.source = "urn:wsl-fleet:agent:" + config.agentId();
        this.decoder = new EventDecoder(Topics.COMMANDS, Contract.fromEnvironment(System.getenv()), clock);
        this.producer = new KafkaProducer<>(KafkaClientSettings.forClient(config.kafkaSecurity(), config.kafkaBootstrap(), Map.of(
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.CLIENT_ID_CONFIG, "agent-" + config.agentId())),
                new StringSerializer(), new ByteArraySerializer());
        this.outbox = new EventOutbox(config.stateDir().resolve("outbox"), producer);
        this.consumer = new KafkaConsumer<>(KafkaClientSettings.forClient(config.kafkaSecurity(), config.kafkaBootstrap(), Map.of(
                ConsumerConfig.GROUP_ID_CONFIG, "agent-" + config.agentId().replace('/', '_'),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest")),
                new StringDeserializer(), new ByteArrayDeserializer());
        this.loop = new Thread(this::run, "agent-commands");
    }

    /** Registers, finishes a change a previous run left in flight, starts heartbeats and the command loop. */
    public Agent start() {
        recoverInterruptedChange();
        int partitions = consumer.partitionsFor(Topics.COMMANDS).size();
        TopicPartition mine = new TopicPartition(Topics.COMMANDS, partitionOf(config.agentId(), partitions));
        consumer.assign(List.of(mine));
        register();
        long period = Math.max(1, config.heartbeat().toMillis());
        heartbeats.scheduleWithFixedDelay(this::heartbeat,
                ThreadLocalRandom.current().nextLong(period / 5 + 1), period + ThreadLocalRandom.current().nextLong(period / 5 + 1),
                TimeUnit.MILLISECONDS);
        loop.start();
        LOG.info("agent " + config.agentId() + " reading " + mine);
        return this;
    }

    private void recoverInterruptedChange() {
        var change = state.inFlight();
        if (change.isEmpty()) {
            return;
        }
        LOG.warning("a change was in flight when the agent stopped: " + change.get());
        DistroOps.Steps steps = (step, done, total, message) -> send(seq -> new CommandProgress(config.agentId(),
                seq, change.get().commandId(), step, done, total, message));
        DistroOps.Outcome outcome;
        try {
            outcome = ops.recover(change.get(), steps);
        } catch (Exception e) {
            outcome = new DistroOps.Outcome(CommandOutcome.ROLLBACK_FAILED, "AGENT_RESTARTED",
                    "recovery after restart failed: " + e.getMessage(), safeHealth(change.get().distro()), null,
                    List.of(), null);
        }
        CommandResult result = new CommandResult(config.agentId(), 0, change.get().commandId(),
                EventType.UPGRADE_COMMAND.ceType(), outcome.outcome(), outcome.reason(), outcome.message(),
                outcome.health(), outcome.failedGeneration(), outcome.failedUnits(), outcome.logTail());
        state.saveResult(result);
        state.endChange();
        send(result::withSequence);
    }

    /** The partition the default partitioner gives a key: murmur2, positive, modulo the partition count. */
    static int partitionOf(String key, int partitions) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    /**
     * Reads this agent's partition for as long as the agent runs. A broker that stays away longer than the client's
     * timeouts makes {@code poll} or {@code commitSync} throw: the loop waits and carries on, seeking back to the
     * first record whose offset was not committed, so a command is neither lost nor (thanks to the stored results)
     * executed twice.
     */
    private void run() {
        try {
            while (running.get()) {
                try {
                    for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                        if (config.agentId().equals(record.key())) {
                            handleOrSetAside(record);
                        }
                        consumer.commitSync(Map.of(new TopicPartition(record.topic(), record.partition()),
                                new OffsetAndMetadata(record.offset() + 1)));
                    }
                } catch (WakeupException e) {
                    throw e;
                } catch (KafkaException e) {
                    LOG.log(Level.WARNING, "broker unreachable for commands, retrying: " + e.getMessage());
                    rewindToCommitted();
                    pause(Duration.ofSeconds(5));
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

    /**
     * A command whose handling fails unexpectedly (a defect, not the broker) is dead-lettered as PROCESSING_FAILED
     * and the loop goes on: no command can stop the agent, and none is retried for ever.
     */
    private void handleOrSetAside(ConsumerRecord<String, byte[]> record) {
        try {
            handle(record);
        } catch (KafkaException e) { // the broker (WakeupException included): the loop above deals with it
            throw e;
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "command at " + record.topic() + "-" + record.partition() + "@" + record.offset()
                    + " could not be handled; set aside on the dead-letter topic", e);
            deadLetter(record, RejectReason.PROCESSING_FAILED, String.valueOf(e));
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

    private void pause(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running.set(false);
        }
    }

    void handle(ConsumerRecord<String, byte[]> record) {
        var decoded = decoder.accept(record, this::deadLetter);
        if (decoded.isEmpty()) {
            return;
        }
        AgentCommand command = (AgentCommand) decoded.get().data(); // the decoder admits only commands on this topic
        if (!config.agentId().equals(command.agentId())) {
            // keyed to this agent (the decoder checked key = subject), so only a command forged for it gets here
            deadLetter(record, RejectReason.KEY_MISMATCH, "a command for " + command.agentId() + " keyed to "
                    + config.agentId());
            return;
        }
        var previous = state.result(command.commandId());
        if (previous.isPresent()) {
            LOG.info("command " + command.commandId() + " already done: re-sending its result");
            send(previous.get()::withSequence);
            return;
        }
        CommandResult result = execute(command);
        state.saveResult(result);
        state.endChange();
        send(result::withSequence);
        if (result.health() != null) {
            lastHealth.set(result.health());
        }
        register();
    }

    private CommandResult execute(AgentCommand command) {
        String type = EventType.of(command).ceType();
        if (command.deadline() != null && clock.instant().isAfter(command.deadline())) {
            return result(command, type, new DistroOps.Outcome(CommandOutcome.REFUSED, "DEADLINE_PASSED",
                    "received after its deadline " + command.deadline(), null, null, List.of(), null));
        }
        DistroOps.Steps steps = (step, done, total, message) ->
                send(seq -> new CommandProgress(config.agentId(), seq, command.commandId(), step, done, total, message));
        try {
            DistroOps.Outcome outcome;
            if (command instanceof InstallCommand install) {
                outcome = ops.install(install, steps);
            } else if (command instanceof UpgradeCommand upgrade) {
                outcome = ops.upgrade(upgrade, steps);
            } else if (command instanceof BackupCommand backup) {
                outcome = ops.backup(backup, steps);
            } else if (command instanceof RollbackCommand rollback) {
                outcome = ops.rollback(rollback, steps);
            } else if (command instanceof HealthCheckCommand) {
                Health health = ops.health(command.distroName());
                outcome = DistroOps.Outcome.of(health.healthy() ? CommandOutcome.SUCCEEDED : CommandOutcome.FAILED,
                        health.healthy() ? null : "UNHEALTHY", "system is " + health.systemState(), health);
            } else {
                outcome = new DistroOps.Outcome(CommandOutcome.REFUSED, "UNSUPPORTED_COMMAND",
                        type + " is not supported by agent " + VERSION, null, null, List.of(), null);
            }
            return result(command, type, outcome);
        } catch (WslException e) {
            return result(command, type, new DistroOps.Outcome(CommandOutcome.FAILED,
                    e.kind() == WslException.Kind.TIMEOUT ? "WSL_TIMEOUT" : "WSL_" + e.kind(), e.getMessage(),
                    safeHealth(command.distroName()), null, List.of(), null));
        } catch (Exception e) {
            LOG.log(Level.WARNING, "command " + command.commandId() + " failed", e);
            return result(command, type, new DistroOps.Outcome(CommandOutcome.FAILED, "AGENT_ERROR",
                    e.getClass().getSimpleName() + ": " + e.getMessage(), safeHealth(command.distroName()), null,
                    List.of(), null));
        }
    }

    private Health safeHealth(String distro) {
        try {
            return ops.health(distro);
        } catch (Exception e) {
            return null;
        }
    }

    private CommandResult result(AgentCommand command, String type, DistroOps.Outcome o) {
        // the sequence number is given when it is sent (see send)
        return new CommandResult(config.agentId(), 0, command.commandId(), type, o.outcome(),
                o.reason(), o.message(), o.health(), o.failedGeneration(), o.failedUnits(), o.logTail());
    }

    private void register() {
        try {
            Inventory inventory = ops.inventory(); // slow (wsl.exe calls): taken before a sequence number is
            send(seq -> new AgentRegistered(config.agentId(), seq, VERSION, inventory));
        } catch (Exception e) {
            LOG.log(Level.WARNING, "could not take the inventory", e);
        }
    }

    private void heartbeat() {
        try {
            Health health = lastHealth.get();
            send(seq -> new AgentHeartbeat(config.agentId(), seq, health));
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "heartbeat failed", e);
        }
    }

    /**
     * Takes the next sequence number and journals the event made with it in one step, so events enter the outbox in
     * sequence order whichever thread (commands, heartbeats) sends them: the orchestrator drops an event whose
     * sequence is not above the last it saw.
     */
    private void send(LongFunction<? extends EventData> withSequence) {
        synchronized (sendLock) {
            EventData data = withSequence.apply(state.nextSequence());
            if (data instanceof AgentEvent event) {
                data = event.at(state.epoch(), event.sequence());
            }
            outbox.enqueue(EventCodec.toRecord(CloudEvent.of(source, data, clock)));
        }
    }

    private void deadLetter(ConsumerRecord<String, byte[]> record, RejectReason reason, String detail) {
        LOG.warning("dead-lettering " + record.topic() + "-" + record.partition() + "@" + record.offset() + ": " + reason);
        outbox.enqueue(EventCodec.deadLetter(record, reason, detail, config.agentId()));
    }

    public AgentConfig config() {
        return config;
    }

    @Override
    public void close() {
        running.set(false);
        heartbeats.shutdownNow();
        consumer.wakeup();
        try {
            loop.join(15_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        outbox.close();
        producer.close(Duration.ofSeconds(5));
    }
}
