package io.wslfleet.orchestrator.support;

import io.wslfleet.embedded.KafkaRole;
import io.wslfleet.protocol.CloudEvent;
import io.wslfleet.protocol.Decoded;
import io.wslfleet.protocol.EventCodec;
import io.wslfleet.protocol.EventDecoder;
import io.wslfleet.protocol.Topics;
import io.wslfleet.protocol.events.*;
import io.wslfleet.protocol.trust.RecordSignatures;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Many workstations speaking the real protocol over the real broker, without wsl.exe: each reads the commands keyed
 * to it and answers as a real agent would, by its behaviour. One consumer serves them all, so hundreds stay cheap.
 * (The real agent against the stand-in wsl.exe is exercised by the windows-agent tests and the end-to-end test.)
 */
public final class SimulatedFleet implements AutoCloseable {

    public enum Behaviour {
        /** Installs, upgrades and rolls back successfully. */
        HEALTHY,
        /** The new generation comes up degraded; the agent rolls back by itself and reports ROLLED_BACK. */
        DEGRADED_ON_ACTIVATION,
        /** Never answers a command (offline, powered off). */
        SILENT
    }

    public static final class Agent {
        public final String id;
        /** Its identity: key pair, signer, sequence. */
        public final TestAgent identity;
        public final Behaviour behaviour;
        public final List<String> generations = new ArrayList<>(); // index = generation - 1
        public volatile int current;
        final Map<String, CommandResult> results = new ConcurrentHashMap<>();
        public final List<AgentCommand> received = java.util.Collections.synchronizedList(new ArrayList<>());
        /** The key id of each command obeyed, in order: what signed it. */
        public final List<String> signedBy = java.util.Collections.synchronizedList(new ArrayList<>());
        /** Records keyed to it that it refused: not signed by a trusted orchestrator key, or for another agent. */
        public final List<String> refused = java.util.Collections.synchronizedList(new ArrayList<>());

        Agent(String id, Behaviour behaviour, String initialSystemPath) {
            this.id = id;
            this.identity = new TestAgent(id);
            this.behaviour = behaviour;
            if (initialSystemPath != null) {
                generations.add(initialSystemPath);
                current = 1;
            }
        }

        public long next() {
            return identity.next();
        }

        public String currentPath() {
            return current == 0 ? null : generations.get(current - 1);
        }

        Health health() {
            return current == 0 ? new Health("NixOS", "absent", List.of(), null, null, Instant.now())
                    : new Health("NixOS", "running", List.of(), current, currentPath(), Instant.now());
        }
    }

    private final Map<String, Agent> agents = new ConcurrentHashMap<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread loop;

    public SimulatedFleet() {
        KafkaConsumer<String, byte[]> consumer = TestBus.reader(Topics.COMMANDS, KafkaRole.AGENT);
        consumer.seekToEnd(consumer.assignment());
        consumer.assignment().forEach(consumer::position); // fix the start position before any command is sent
        loop = new Thread(() -> {
            try (consumer) {
                while (running.get()) {
                    consumer.poll(Duration.ofMillis(100)).forEach(record -> {
                        Agent agent = agents.get(record.key());
                        if (agent == null) {
                            return;
                        }
                        // as a real agent: only commands a trusted orchestrator key signed, addressed to it
                        var verification = RecordSignatures.verify(record, Fixtures::orchestratorKey);
                        if (!(verification instanceof RecordSignatures.Verification.Verified verified)) {
                            agent.refused.add(String.valueOf(verification));
                        } else if (EventDecoder.of(record.topic()).decode(record) instanceof Decoded.Event e
                                && e.event().data() instanceof AgentCommand command) {
                            if (command.agentId().equals(agent.id)) {
                                agent.signedBy.add(verified.keyId());
                                handle(agent, command);
                            } else {
                                agent.refused.add("addressed to " + command.agentId());
                            }
                        }
                    });
                }
            }
        }, "simulated-fleet");
        loop.setDaemon(true);
        loop.start();
    }

    /**
     * Registers an agent with NixOS on one generation (or none, when initialSystemPath is null), enrolled with the
     * suite's enrolment token, so admitted at once.
     */
    public Agent add(String agentId, Behaviour behaviour, String initialSystemPath, Map<String, String> labels) {
        return add(agentId, behaviour, initialSystemPath, labels, Fixtures.enrolmentToken());
    }

    /** The same with the enrolment token given (null: none, the machine waits in the pending list). */
    public Agent add(String agentId, Behaviour behaviour, String initialSystemPath, Map<String, String> labels,
                     String token) {
        Agent agent = new Agent(agentId, behaviour, initialSystemPath);
        agents.put(agentId, agent);
        List<DistroInfo> distros = initialSystemPath == null ? List.of()
                : List.of(new DistroInfo("NixOS", "Stopped", 2, true, 1, initialSystemPath, "24.11", "2411.6.0",
                List.of(new GenerationInfo(1, initialSystemPath))));
        emit(agent, agent.identity.registration(labels, distros, token));
        emit(agent, new AgentHeartbeat(agentId, agent.next(), agent.health()));
        return agent;
    }

    public Agent agent(String id) {
        return agents.get(id);
    }

    private void handle(Agent agent, AgentCommand command) {
        agent.received.add(command);
        CommandResult earlier = agent.results.get(command.commandId());
        if (earlier != null) {
            emit(agent, earlier.withSequence(agent.next()));
            return;
        }
        if (agent.behaviour == Behaviour.SILENT) {
            return;
        }
        CommandResult result;
        if (command instanceof InstallCommand || command instanceof UpgradeCommand) {
            ReleaseRef release = command instanceof InstallCommand i ? i.release() : ((UpgradeCommand) command).release();
            for (String step : List.of("DOWNLOADING", "INSTALLING", "ACTIVATING", "VERIFYING")) {
                emit(agent, new CommandProgress(agent.id, agent.next(), command.commandId(), step, 0, 0, null));
            }
            if (agent.behaviour == Behaviour.DEGRADED_ON_ACTIVATION) {
                int failed = agent.generations.size() + 1;
                agent.generations.add(release.systemPath());
                emit(agent, new CommandProgress(agent.id, agent.next(), command.commandId(), "ROLLING_BACK", 0, 0,
                        null));
                result = new CommandResult(agent.id, agent.next(), command.commandId(), "upgrade",
                        CommandOutcome.ROLLED_BACK, io.wslfleet.protocol.events.FailureReason.ACTIVATION_FAILED,
                        "generation " + failed + " came up degraded; back on generation " + agent.current,
                        agent.health(), failed, List.of("home-manager-dev.service"), "Failed to start home-manager");
            } else {
                agent.generations.add(release.systemPath());
                agent.current = agent.generations.size();
                result = new CommandResult(agent.id, agent.next(), command.commandId(), "upgrade",
                        CommandOutcome.SUCCEEDED, null, "running generation " + agent.current, agent.health(), null,
                        List.of(), null);
            }
        } else if (command instanceof RollbackCommand rollback) {
            int target = rollback.toGeneration() != null ? rollback.toGeneration() : agent.current - 1;
            agent.current = target;
            result = new CommandResult(agent.id, agent.next(), command.commandId(), "rollback",
                    CommandOutcome.SUCCEEDED, null, "back on generation " + target, agent.health(), null, List.of(),
                    null);
        } else {
            result = new CommandResult(agent.id, agent.next(), command.commandId(), "health-check",
                    CommandOutcome.SUCCEEDED, null, null, agent.health(), null, List.of(), null);
        }
        agent.results.put(command.commandId(), result);
        emit(agent, result);
    }

    /** Sends the event as the agent: its source, signed with its key. */
    public void emit(Agent agent, AgentEvent event) {
        agent.identity.send(event);
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        loop.join(5_000);
    }
}
