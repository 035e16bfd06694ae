package io.wslfleet.sandbox;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import io.wslfleet.protocol.CloudEvent;
import io.wslfleet.protocol.CloudEventHeaders;
import io.wslfleet.protocol.Decoded;
import io.wslfleet.protocol.EventCodec;
import io.wslfleet.protocol.EventDecoder;
import io.wslfleet.protocol.RejectReason;
import io.wslfleet.protocol.Topics;
import io.wslfleet.protocol.events.AgentCommand;
import io.wslfleet.protocol.events.AgentEvent;
import io.wslfleet.protocol.events.AgentHeartbeat;
import io.wslfleet.protocol.events.AgentRegistered;
import io.wslfleet.protocol.events.CommandOutcome;
import io.wslfleet.protocol.events.CommandProgress;
import io.wslfleet.protocol.events.CommandRefused;
import io.wslfleet.protocol.events.CommandResult;
import io.wslfleet.protocol.events.DistroInfo;
import io.wslfleet.protocol.events.GenerationInfo;
import io.wslfleet.protocol.events.Health;
import io.wslfleet.protocol.events.InstallCommand;
import io.wslfleet.protocol.events.Inventory;
import io.wslfleet.protocol.events.ReleaseRef;
import io.wslfleet.protocol.events.UpgradeCommand;
import io.wslfleet.protocol.release.Ed25519;
import io.wslfleet.protocol.trust.RecordSignatures;
import io.wslfleet.protocol.trust.Signer;
import io.wslfleet.protocol.trust.TrustedKeys;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Many workstations in one JVM, speaking the real protocol on the real bus with the agent principal: each has its
 * own Ed25519 key pair and signs every event with it ({@link RecordSignatures}, key id = its fingerprint), registers
 * with its public key and, when it has one, an enrolment token, numbers its events by epoch and sequence, sends
 * heartbeats, and answers each command keyed to it after checking the orchestrator's signature: four progress
 * steps, then a {@link CommandResult} SUCCEEDED whose health reports the release's system path running. A command
 * id seen again is answered with the stored result (as the real agent does), never run twice.
 *
 * <p>One producer and one consumer (all partitions of {@code fleet.commands}, from the beginning) serve every agent,
 * so a thousand of them cost a few threads. A command whose signature does not verify is refused with a
 * {@link CommandRefused} (UNAUTHENTICATED); an unsigned one too when {@code requireSignedCommands}, else it is run
 * and counted in {@link #unsignedCommands()} (for an orchestrator that does not sign commands yet). A record that
 * does not decode is refused with the decoder's reason, a command addressed to another agent as NOT_YOUR_COMMAND.
 */
final class SimulatedAgents implements AutoCloseable {

    static final String DISTRO = "NixOS";
    private static final List<String> STEPS = List.of("DOWNLOADING", "INSTALLING", "ACTIVATING", "VERIFYING");

    /** One simulated workstation. */
    static final class Agent {
        final String id;
        final Signer signer;
        final String publicKey;
        final long epoch;
        private long sequence;
        final List<String> generations = new ArrayList<>();
        private final Map<String, CommandResult> results = new ConcurrentHashMap<>();
        private final Set<String> started = ConcurrentHashMap.newKeySet();
        /** Every delivery of a command record keyed to this agent, in order (re-deliveries included). */
        final List<String> deliveries = Collections.synchronizedList(new ArrayList<>());

        Agent(String id, KeyPair pair, long epoch, String initialSystemPath) {
            this.id = id;
            this.signer = Signer.ofPair(pair);
            this.publicKey = Ed25519.encode(pair.getPublic());
            this.epoch = epoch;
            generations.add(initialSystemPath);
        }

        synchronized Health health() {
            return new Health(DISTRO, "running", List.of(), generations.size(), currentPath(), Instant.now());
        }

        synchronized String currentPath() {
            return generations.get(generations.size() - 1);
        }

        String source() {
            return "urn:wsl-fleet:agent:" + id;
        }
    }

    private final Map<String, Agent> agents = new ConcurrentHashMap<>();
    private final List<Agent> ordered = new ArrayList<>();
    private final Producer<String, byte[]> producer;
    private final TrustedKeys orchestratorKeys;
    private final boolean requireSignedCommands;
    private final String enrolmentToken;
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong sendFailures = new AtomicLong();
    private final AtomicLong unsignedCommands = new AtomicLong();
    private final AtomicLong refusedCommands = new AtomicLong();
    private final AtomicLong verifiedCommands = new AtomicLong();
    private final AtomicLong redeliveries = new AtomicLong();
    private final Set<String> answered = ConcurrentHashMap.newKeySet();
    private final Consumer<String> say;
    private final Map<String, Object> clientProperties;
    private volatile boolean running = true;
    private Thread commandLoop;
    private Thread heartbeatLoop;
    private final ScheduledExecutorService work = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "simulated-agents-work");
        t.setDaemon(true);
        return t;
    });
    private final Random random = new Random(14);
    private Duration workTime = Duration.ZERO;

    /**
     * @param clientProperties      the agent principal's client properties (bootstrap, SASL_SSL)
     * @param orchestratorKeys      the keys commands must be signed with ({@code FLEET_TRUST_ORCHESTRATOR_KEYS})
     * @param requireSignedCommands refuse unsigned commands (as agents do once the orchestrator signs them)
     * @param enrolmentToken        sent in every registration, or null (the machine waits for an operator)
     */
    SimulatedAgents(Map<String, Object> clientProperties, TrustedKeys orchestratorKeys, boolean requireSignedCommands,
                    String enrolmentToken, Consumer<String> say) {
        this.clientProperties = Map.copyOf(clientProperties);
        this.orchestratorKeys = orchestratorKeys;
        this.requireSignedCommands = requireSignedCommands;
        this.enrolmentToken = enrolmentToken;
        this.say = say;
        Map<String, Object> props = new HashMap<>(clientProperties);
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, 10);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 300_000);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "simulated-agents");
        producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }

    /**
     * Makes {@code count} agents {@code <prefix>NNNN/dev}, each on generation 1 of {@code initialSystemPath}, and
     * starts answering commands; then each registers and sends a first heartbeat. An upgrade takes between half
     * and one and a half {@code workTime} from its first progress to its result, as real installs spread out.
     */
    void start(String prefix, int count, String initialSystemPath, Duration heartbeatEvery, Duration workTime) {
        this.workTime = workTime;
        long epoch = Instant.now().toEpochMilli();
        for (int i = 1; i <= count; i++) {
            Agent agent = new Agent(String.format("%s%04d/dev", prefix, i), Ed25519.generate(), epoch,
                    initialSystemPath);
            agents.put(agent.id, agent);
            ordered.add(agent);
        }
        commandLoop = new Thread(this::answerCommands, "simulated-agents-commands");
        commandLoop.setDaemon(true);
        commandLoop.start();
        for (Agent agent : ordered) {
            register(agent);
            emit(agent, new AgentHeartbeat(agent.id, agent.epoch, 0, agent.health()));
        }
        producer.flush();
        heartbeatLoop = new Thread(() -> heartbeats(heartbeatEvery), "simulated-agents-heartbeats");
        heartbeatLoop.setDaemon(true);
        heartbeatLoop.start();
    }

    private void register(Agent agent) {
        String[] parts = agent.id.split("/");
        String path = agent.currentPath();
        Inventory inventory = new Inventory(parts[0], parts[1], parts[0].toUpperCase(Locale.ROOT),
                "10.0.26100", "2.4.11.0", "5.15.167.4-1", 50L << 30, Map.of("site", "multi-node"),
                List.of(new DistroInfo(DISTRO, "Running", 2, true, 1, path, "25.05", "2505.7.0",
                        List.of(new GenerationInfo(1, path)))));
        emit(agent, new AgentRegistered(agent.id, agent.epoch, 0, "sim-1", inventory)
                .withIdentity(agent.publicKey, enrolmentToken));
    }

    private void heartbeats(Duration every) {
        while (running) {
            try {
                Thread.sleep(every.toMillis());
            } catch (InterruptedException e) {
                return;
            }
            for (Agent agent : ordered) {
                if (!running) {
                    return;
                }
                emit(agent, new AgentHeartbeat(agent.id, agent.epoch, 0, agent.health()));
            }
        }
    }

    private void answerCommands() {
        Map<String, Object> props = new HashMap<>(clientProperties);
        props.put("client.id", "simulated-agents-commands");
        try (var consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.COMMANDS, Duration.ofSeconds(60)).stream()
                    .map(p -> new TopicPartition(Topics.COMMANDS, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            EventDecoder decoder = EventDecoder.of(Topics.COMMANDS);
            while (running) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    Agent agent = agents.get(record.key());
                    if (agent != null) {
                        handle(agent, record, decoder);
                    }
                }
            }
        } catch (org.apache.kafka.common.errors.InterruptException e) {
            // closing
        } catch (RuntimeException e) {
            say.accept("the simulated agents' command loop ended: " + e);
            throw e;
        }
    }

    private void handle(Agent agent, ConsumerRecord<String, byte[]> record, EventDecoder decoder) {
        RecordSignatures.Verification verification = RecordSignatures.verify(record, orchestratorKeys);
        boolean unsigned = RecordSignatures.keyId(record.headers()).isEmpty()
                && record.headers().lastHeader(RecordSignatures.SIGNATURE_HEADER) == null;
        if (!verification.verified() && (requireSignedCommands || !unsigned)) {
            refuse(agent, record, RejectReason.UNAUTHENTICATED,
                    ((RecordSignatures.Verification.Refused) verification).detail());
            return;
        }
        Decoded decoded = decoder.decode(record);
        if (decoded instanceof Decoded.Rejected rejected) {
            refuse(agent, record, rejected.reason(), rejected.detail());
            return;
        }
        if (!(((Decoded.Event) decoded).event().data() instanceof AgentCommand command)) {
            return;
        }
        if (!command.agentId().equals(agent.id)) {
            refuse(agent, record, RejectReason.NOT_YOUR_COMMAND, "addressed to " + command.agentId());
            return;
        }
        (verification.verified() ? verifiedCommands : unsignedCommands).incrementAndGet();
        agent.deliveries.add(command.commandId());
        if (!agent.started.add(command.commandId())) {
            redeliveries.incrementAndGet();
            CommandResult earlier = agent.results.get(command.commandId());
            if (earlier != null) {
                emit(agent, earlier); // else it is still running: its result follows
            }
            return;
        }
        if (command instanceof UpgradeCommand || command instanceof InstallCommand) {
            ReleaseRef release = command instanceof UpgradeCommand u ? u.release() : ((InstallCommand) command).release();
            for (String step : STEPS) {
                emit(agent, new CommandProgress(agent.id, agent.epoch, 0, command.commandId(), step, 0, 0, null));
            }
            long millis = workTime.toMillis() / 2 + (workTime.isZero() ? 0 : random.nextLong(workTime.toMillis()));
            work.schedule(() -> {
                synchronized (agent) {
                    agent.generations.add(release.systemPath());
                }
                finish(agent, new CommandResult(agent.id, agent.epoch, 0, command.commandId(), "upgrade",
                        CommandOutcome.SUCCEEDED, null, "running generation " + agent.generations.size(),
                        agent.health(), null, List.of(), null));
            }, millis, TimeUnit.MILLISECONDS);
        } else {
            finish(agent, new CommandResult(agent.id, agent.epoch, 0, command.commandId(), "health-check",
                    CommandOutcome.SUCCEEDED, null, null, agent.health(), null, List.of(), null));
        }
    }

    private void finish(Agent agent, CommandResult result) {
        agent.results.put(result.commandId(), result);
        answered.add(result.commandId());
        emit(agent, result);
    }

    /**
     * Runs nothing and says so: a {@link CommandRefused} with the reason, naming the record's ce_id and ce_type only
     * when they are well-formed. (A real agent also dead-letters the record; the agent principal's ACL allows it.)
     */
    private void refuse(Agent agent, ConsumerRecord<String, byte[]> record, RejectReason reason, String detail) {
        refusedCommands.incrementAndGet();
        CommandRefused refusal;
        try {
            refusal = new CommandRefused(agent.id, agent.epoch, 0, header(record, CloudEventHeaders.ID),
                    header(record, CloudEventHeaders.TYPE), reason, detail);
        } catch (IllegalArgumentException malformed) {
            refusal = new CommandRefused(agent.id, agent.epoch, 0, null, null, reason, detail);
        }
        emit(agent, refusal);
    }

    /** Numbers the event in the agent's order, signs the record with the agent's key and sends it. */
    private void emit(Agent agent, AgentEvent event) {
        synchronized (agent) {
            AgentEvent numbered = event.at(agent.epoch, ++agent.sequence);
            ProducerRecord<String, byte[]> record = RecordSignatures.sign(
                    EventCodec.toRecord(CloudEvent.of(agent.source(), numbered)), agent.signer);
            producer.send(record, (metadata, failure) -> {
                if (failure != null) {
                    sendFailures.incrementAndGet();
                    say.accept("an event of " + agent.id + " was not delivered: " + failure);
                } else {
                    sent.incrementAndGet();
                }
            });
        }
    }

    private static String header(ConsumerRecord<String, byte[]> record, String name) {
        var h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    Collection<Agent> agents() {
        return List.copyOf(ordered);
    }

    Agent agent(String id) {
        return agents.get(id);
    }

    /** Distinct commands answered (run once each). */
    int answeredCommands() {
        return answered.size();
    }

    long sent() {
        return sent.get();
    }

    long sendFailures() {
        return sendFailures.get();
    }

    long unsignedCommands() {
        return unsignedCommands.get();
    }

    long verifiedCommands() {
        return verifiedCommands.get();
    }

    long refusedCommands() {
        return refusedCommands.get();
    }

    /** Deliveries of a command id already answered (at-least-once delivery), answered with the stored result. */
    long redeliveries() {
        return redeliveries.get();
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        work.shutdownNow();
        if (heartbeatLoop != null) {
            heartbeatLoop.interrupt();
            heartbeatLoop.join(5_000);
        }
        if (commandLoop != null) {
            commandLoop.join(5_000);
        }
        producer.close(Duration.ofSeconds(10));
    }
}
