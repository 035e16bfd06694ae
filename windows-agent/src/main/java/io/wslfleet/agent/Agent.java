package io.wslfleet.agent;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongFunction;
import java.util.function.UnaryOperator;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.wslfleet.protocol.CloudEvent;
import io.wslfleet.protocol.Contract;
import io.wslfleet.protocol.Decoded;
import io.wslfleet.protocol.EventDecoder;
import io.wslfleet.protocol.EventCodec;
import io.wslfleet.protocol.RejectReason;
import io.wslfleet.protocol.Topics;
import io.wslfleet.protocol.events.AgentCommand;
import io.wslfleet.protocol.events.AgentEvent;
import io.wslfleet.protocol.events.AgentHeartbeat;
import io.wslfleet.protocol.events.AgentRegistered;
import io.wslfleet.protocol.events.CommandProgress;
import io.wslfleet.protocol.events.CommandRefused;
import io.wslfleet.protocol.events.CommandResult;
import io.wslfleet.protocol.events.EventData;
import io.wslfleet.protocol.events.Health;
import io.wslfleet.protocol.events.Inventory;
import io.wslfleet.protocol.trust.RecordSignatures;
import io.wslfleet.protocol.trust.Signer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Utils;

/**
 * The agent: registers with its inventory, sends heartbeats with jitter, and executes its commands one at a time.
 * It reads only its own partition of {@code fleet.commands} (the one its agent id hashes to, as the producer's
 * default partitioner places it), skipping other agents' keys, and commits its position under its own group id.
 * It obeys only commands signed by a key of {@code FLEET_TRUST_ORCHESTRATOR_KEYS} and addressed to it, and signs
 * every event it sends with its own identity key ({@link AgentIdentity}). Each command runs at most once per command
 * id: the result is stored before it is sent, a duplicate publish gets the stored result again, and another event
 * reusing a command id is refused ({@link SeenCommands}). Every event carries the next persisted sequence number.
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
    private final AgentIdentity identity;
    private final SeenCommands seenCommands;

    public Agent(AgentConfig config) {
        this(config, Clock.systemUTC());
    }

    Agent(AgentConfig config, Clock clock) {
        this.config = config;
        this.clock = clock;
        this.state = new AgentState(config.stateDir());
        this.identity = AgentIdentity.loadOrCreate(config.stateDir());
        this.distro = new DistroSteps(config, new WslDriver(config.wslPath(), config.wslTimeout()), state, clock);
        this.dispatcher = new CommandDispatcher(config.agentId(), distro, clock);
        this.source = "urn:wsl-fleet:agent:" + config.agentId();
        Contract contract = config.contract();
        this.decoder = new EventDecoder(Topics.COMMANDS, contract, clock);
        this.seenCommands = new SeenCommands(config.stateDir().resolve("seen"), clock, contract.maxFuture());
        this.producer = KafkaClients.producer(config);
        this.outbox = new EventOutbox(config.stateDir().resolve("outbox"), producer, signingOwnEvents(identity.signer()));
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

    /**
     * The checks a command passes before it runs, in this order: it decodes by the contract; it is signed by a trusted
     * orchestrator key (nothing of an unsigned record is believed, not even whom it names); it is addressed to this
     * agent; its command id is new, or this is the very event that brought it (a duplicate publish, answered with the
     * stored result). A record failing one is dead-lettered and refused in a {@link CommandRefused} event.
     */
    private void handleCommand(ConsumerRecord<String, byte[]> record) {
        Decoded decoded = decoder.decode(record);
        if (decoded instanceof Decoded.Rejected rejected && rejected.reason() != RejectReason.KEY_MISMATCH) {
            refuse(record, rejected.reason(), rejected.detail());
            return;
        }
        var verification = RecordSignatures.verify(record, config.orchestratorKeys());
        if (verification instanceof RecordSignatures.Verification.Refused unsigned) {
            refuse(record, RejectReason.UNAUTHENTICATED, unsigned.detail());
            return;
        }
        if (decoded instanceof Decoded.Rejected notMine) { // keyed to this agent, but its subject or data name another
            refuse(record, RejectReason.NOT_YOUR_COMMAND, notMine.detail());
            return;
        }
        CloudEvent<? extends EventData> event = ((Decoded.Event) decoded).event();
        AgentCommand command = (AgentCommand) event.data(); // the decoder admits only commands on this topic
        if (!config.agentId().equals(command.agentId())) {
            refuse(record, RejectReason.NOT_YOUR_COMMAND, "a command for " + command.agentId() + " read by "
                    + config.agentId());
            return;
        }
        var seen = seenCommands.get(command.commandId());
        String dataSha256 = SeenCommands.sha256(record.value());
        if (seen.isPresent() && !seen.get().sameEvent(event.id(), dataSha256)) {
            refuse(record, RejectReason.REPLAYED, "command id " + command.commandId() + " already came in event "
                    + seen.get().eventId() + "; this is another event (" + event.id() + "), not run");
            return;
        }
        if (seen.isEmpty()) {
            seenCommands.remember(command.commandId(), event.id(), record.value(), command.deadline());
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

    /** Sets the record aside and says so: what was refused (as far as it can be read), why, and nothing ran. */
    private void refuse(ConsumerRecord<String, byte[]> record, RejectReason reason, String detail) {
        deadLetter(record, reason, detail);
        String commandId = Refusals.commandIdOf(record);
        String eventType = Refusals.eventTypeOf(record);
        send(seq -> new CommandRefused(config.agentId(), 0, seq, commandId, eventType, reason, detail));
    }

    private void register() {
        try {
            Inventory inventory = distro.inventory.take(); // slow (wsl.exe calls): taken before a sequence number is
            send(seq -> new AgentRegistered(config.agentId(), seq, VERSION, inventory)
                    .withIdentity(identity.publicKey(), config.enrolmentToken()));
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

    /**
     * Signs what the agent says on {@code fleet.agent-events} with its identity key; a dead-letter copy keeps the
     * headers (and the signature, if any) of the record it copies.
     */
    static UnaryOperator<ProducerRecord<String, byte[]>> signingOwnEvents(Signer signer) {
        return record -> Topics.AGENT_EVENTS.equals(record.topic()) ? RecordSignatures.sign(record, signer) : record;
    }

    private void deadLetter(ConsumerRecord<String, byte[]> record, RejectReason reason, String detail) {
        LOG.warning("dead-lettering " + record.topic() + "-" + record.partition() + "@" + record.offset() + ": " + reason);
        outbox.enqueue(EventCodec.deadLetter(record, reason, detail, config.agentId()));
    }

    public AgentConfig config() {
        return config;
    }

    /** The key id this agent signs with: the fingerprint of its public key. */
    public String keyId() {
        return identity.keyId();
    }

    @Override
    public void close() {
        heartbeats.close();
        loop.close();
        outbox.close();
        producer.close(Duration.ofSeconds(5));
    }
}
