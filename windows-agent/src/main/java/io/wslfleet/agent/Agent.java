package io.wslfleet.agent;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongFunction;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.wslfleet.protocol.CloudEvent;
import io.wslfleet.protocol.Contract;
import io.wslfleet.protocol.EventDecoder;
import io.wslfleet.protocol.EventCodec;
import io.wslfleet.protocol.RejectReason;
import io.wslfleet.protocol.Topics;
import io.wslfleet.protocol.events.AgentCommand;
import io.wslfleet.protocol.events.AgentEvent;
import io.wslfleet.protocol.events.AgentHeartbeat;
import io.wslfleet.protocol.events.AgentRegistered;
import io.wslfleet.protocol.events.CommandProgress;
import io.wslfleet.protocol.events.CommandResult;
import io.wslfleet.protocol.events.EventData;
import io.wslfleet.protocol.events.Health;
import io.wslfleet.protocol.events.Inventory;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
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
    private final DistroSteps distro;
    private final CommandDispatcher dispatcher;
    private final KafkaProducer<String, byte[]> producer;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Heartbeats heartbeats = new Heartbeats();
    private final Object sendLock = new Object();
    private final AtomicReference<Health> lastHealth = new AtomicReference<>();
    private final CommandLoop loop;
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
        this.distro = new DistroSteps(config, new WslDriver(config.wslPath(), config.wslTimeout()), state, clock);
        this.dispatcher = new CommandDispatcher(config.agentId(), distro, clock);
        this.source = "urn:wsl-fleet:agent:" + config.agentId();
        this.decoder = new EventDecoder(Topics.COMMANDS, Contract.fromEnvironment(System.getenv()), clock);
        this.producer = KafkaClients.producer(config);
        this.outbox = new EventOutbox(config.stateDir().resolve("outbox"), producer);
        this.consumer = KafkaClients.consumer(config);
        this.loop = new CommandLoop(consumer, config.agentId(), this::handle);
    }

    /** Registers, finishes a change a previous run left in flight, starts heartbeats and the command loop. */
    public Agent start() {
        recoverInterruptedChange();
        int partitions = consumer.partitionsFor(Topics.COMMANDS).size();
        TopicPartition mine = new TopicPartition(Topics.COMMANDS, partitionOf(config.agentId(), partitions));
        register();
        heartbeats.start(config.heartbeat(), this::heartbeat);
        loop.start(mine);
        LOG.info("agent " + config.agentId() + " reading " + mine);
        return this;
    }

    private void recoverInterruptedChange() {
        var change = state.inFlight();
        if (change.isEmpty()) {
            return;
        }
        LOG.warning("a change was in flight when the agent stopped: " + change.get());
        CommandResult result = dispatcher.recovered(change.get(), progressOf(change.get().commandId()));
        state.saveResult(result);
        state.endChange();
        send(result::withSequence);
    }

    private Steps progressOf(String commandId) {
        return (step, done, total, message) -> send(seq -> new CommandProgress(config.agentId(), seq, commandId, step,
                done, total, message));
    }

    /** The partition the default partitioner gives a key: murmur2, positive, modulo the partition count. */
    static int partitionOf(String key, int partitions) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    /**
     * One record of this agent's key. A command whose handling fails unexpectedly (a defect, not the broker) is
     * dead-lettered as PROCESSING_FAILED and the loop goes on: no command can stop the agent, none is retried for ever.
     */
    void handle(ConsumerRecord<String, byte[]> record) {
        try {
            handleCommand(record);
        } catch (org.apache.kafka.common.KafkaException e) { // the broker: the command loop deals with it
            throw e;
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "command at " + record.topic() + "-" + record.partition() + "@" + record.offset()
                    + " could not be handled; set aside on the dead-letter topic", e);
            deadLetter(record, RejectReason.PROCESSING_FAILED, String.valueOf(e));
        }
    }

    private void handleCommand(ConsumerRecord<String, byte[]> record) {
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
        CommandResult result = dispatcher.execute(command, progressOf(command.commandId()));
        state.saveResult(result);
        state.endChange();
        send(result::withSequence);
        if (result.health() != null) {
            lastHealth.set(result.health());
        }
        register();
    }

    private void register() {
        try {
            Inventory inventory = distro.inventory.take(); // slow (wsl.exe calls): taken before a sequence number is
            send(seq -> new AgentRegistered(config.agentId(), seq, VERSION, inventory));
        } catch (Exception e) {
            LOG.log(Level.WARNING, "could not take the inventory", e);
        }
    }

    private void heartbeat() {
        Health health = lastHealth.get();
        send(seq -> new AgentHeartbeat(config.agentId(), seq, health));
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
        heartbeats.close();
        loop.close();
        outbox.close();
        producer.close(Duration.ofSeconds(5));
    }
}
