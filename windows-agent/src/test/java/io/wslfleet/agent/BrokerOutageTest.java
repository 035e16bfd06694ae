package io.wslfleet.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.wslfleet.buildworker.DemoRoot;
import io.wslfleet.embedded.EmbeddedKafka;
import io.wslfleet.embedded.KafkaRole;
import io.wslfleet.protocol.CloudEventHeaders;
import io.wslfleet.protocol.Decoded;
import io.wslfleet.protocol.EventCodec;
import io.wslfleet.protocol.EventDecoder;
import io.wslfleet.protocol.Json;
import io.wslfleet.protocol.Topics;
import io.wslfleet.protocol.events.AgentEvent;
import io.wslfleet.protocol.events.CommandOutcome;
import io.wslfleet.protocol.events.CommandProgress;
import io.wslfleet.protocol.events.CommandResult;
import io.wslfleet.protocol.events.InstallCommand;
import io.wslfleet.protocol.events.ReleaseRef;
import io.wslfleet.protocol.events.UpgradeCommand;
import io.wslfleet.protocol.events.UpgradeMode;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The broker goes down in the middle of an upgrade: the agent (its own process, driving the stand-in wsl.exe) carries
 * on, holds its events in its outbox, and once the broker is back every one of them arrives, in sequence order, none
 * missing and none twice. The class runs a broker of its own, stopped and started again on the same ports and data;
 * the shared broker of the other tests is not involved.
 */
class BrokerOutageTest extends AgentTestSupport {

    private static final String MACHINE = "ws-o";
    private static final String AGENT_ID = MACHINE + "/dev";
    /** The steps of an in-place upgrade without backup, in order (DOWNLOADING may repeat with the bytes done). */
    private static final List<String> UPGRADE_STEPS =
            List.of("DOWNLOADING", "VERIFYING_ARTIFACT", "UPGRADING", "ACTIVATING", "RESTARTING", "VERIFYING");

    /** Started before everything else, so that the support's clients and the agent use it; closed last. */
    @RegisterExtension
    static final OwnBroker broker = new OwnBroker();

    private static Process agent;
    private static HttpServer gatedDownloads;
    private static ExecutorService gatedThreads;
    /** Opened once the broker is down: until then the upgrade waits in its download. */
    private static final CountDownLatch gate = new CountDownLatch(1);
    private static final CountDownLatch downloadRequested = new CountDownLatch(1);

    @BeforeAll
    static void startGatedDownloads() throws IOException {
        gatedThreads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "gated-download");
            t.setDaemon(true);
            return t;
        });
        gatedDownloads = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        gatedDownloads.createContext("/", BrokerOutageTest::serveAfterTheGate);
        gatedDownloads.setExecutor(gatedThreads);
        gatedDownloads.start();
    }

    /** Runs before {@link AgentTestSupport#tearDown()}: the agent goes first, and the clients close on a live broker. */
    @AfterAll
    static void stopAgent() throws InterruptedException {
        gate.countDown();
        if (agent != null) {
            agent.descendants().forEach(ProcessHandle::destroyForcibly);
            agent.destroyForcibly();
            agent.waitFor(10, TimeUnit.SECONDS);
        }
        if (gatedDownloads != null) {
            gatedDownloads.stop(0);
            gatedThreads.shutdownNow();
        }
        if (!broker.up) {
            broker.restart(); // the test failed during the outage
        }
    }

    @Test
    void brokerDownDuringAnUpgradeAllEventsArriveAfterwardsInOrder() throws Exception {
        Path wslState = tmp.resolve(MACHINE + "-wsl");
        Path agentState = tmp.resolve(MACHINE + "-agent");
        agent = launch(MACHINE, wslState);
        send(new InstallCommand("cmd-o1", AGENT_ID, "NixOS", release, Instant.now().plusSeconds(300)));
        CommandResult installed = await(CommandResult.class, r -> r.commandId().equals("cmd-o1"));
        assertThat(installed.outcome()).as(installed.message()).isEqualTo(CommandOutcome.SUCCEEDED);
        assertThat(installed.health().generation()).isEqualTo(1);

        // the next release, its download behind the gate: the upgrade cannot finish before the broker is down
        ReleaseRef published = publish(store, "25.05.30", DemoRoot.Fault.NONE);
        ReleaseRef next = new ReleaseRef(published.releaseId(), published.version(),
                "http://127.0.0.1:" + gatedDownloads.getAddress().getPort() + "/" + published.sha256(),
                published.sha256(), published.size(), published.manifest(), published.signature(), published.keyId(),
                published.systemPath());
        send(new UpgradeCommand("cmd-o2", AGENT_ID, "NixOS", next, UpgradeMode.IN_PLACE, false,
                Instant.now().plusSeconds(300)));
        CommandProgress first = await(CommandProgress.class, p -> p.commandId().equals("cmd-o2"));
        assertThat(first.step()).isEqualTo("DOWNLOADING");
        long lastSeenBefore = agentEventsSeen().stream().mapToLong(AgentEvent::sequence).max().orElseThrow();

        broker.stop();
        assertThat(downloadRequested.await(60, TimeUnit.SECONDS)).as("the agent is downloading the release").isTrue();
        gate.countDown();

        // the upgrade ends while the broker is down: result stored, new generation active, its events in the outbox
        Path resultFile = agentState.resolve("results").resolve("cmd-o2.json");
        Path outbox = agentState.resolve("outbox");
        Awaitility.await("the upgrade's result, held in the outbox").atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> held(outbox).stream().anyMatch(h -> isResultOf(h.event(), "cmd-o2")));
        CommandResult stored = Json.MAPPER.readValue(Files.readAllBytes(resultFile), CommandResult.class);
        assertThat(stored.outcome()).as(stored.message()).isEqualTo(CommandOutcome.SUCCEEDED);
        assertThat(stored.health().generation()).isEqualTo(2);
        assertThat(stored.health().systemPath()).isEqualTo(next.systemPath());
        Path profile = wslState.resolve("distros/NixOS/rootfs/nix/var/nix/profiles/system");
        assertThat(Files.readSymbolicLink(profile).toString()).isEqualTo("system-2-link");
        assertThat(Files.readSymbolicLink(profile.resolveSibling("system-2-link")).toString())
                .isEqualTo(next.systemPath());

        List<Held> held = held(outbox);
        List<Held> heldToResult = held.subList(0, indexOfResult(held, "cmd-o2") + 1);
        List<Long> heldSequences = heldToResult.stream().map(h -> h.event().sequence()).toList();
        long resultSequence = heldSequences.get(heldSequences.size() - 1); // given when sent, not when stored
        assertThat(heldSequences).as("held up to the result, in outbox order: %s", heldSequences)
                .isEqualTo(LongStream.rangeClosed(heldSequences.get(0), resultSequence).boxed().toList());
        assertThat(held.stream().map(Held::event).filter(e -> e instanceof CommandProgress p && p.commandId().equals("cmd-o2"))
                .map(e -> ((CommandProgress) e).step()).collect(Collectors.toSet()))
                .as("the steps after the download, all held")
                .containsAll(UPGRADE_STEPS.subList(1, UPGRADE_STEPS.size()));

        // the broker comes back where it was, on its data: everything held arrives
        broker.restart();
        assertThat(broker.kafka.bootstrapServers()).isEqualTo(bootstrap);
        Set<String> heldIds = held.stream().map(Held::eventId).collect(Collectors.toSet());
        // read until every held event is there, or the agent has nothing left to send (then what is missing is lost)
        List<ConsumerRecord<String, byte[]>> log = readAgentEvents(records -> records.stream()
                .map(r -> header(r, CloudEventHeaders.ID)).collect(Collectors.toSet()).containsAll(heldIds)
                || outboxEmpty(outbox));

        List<String> ids = log.stream().map(r -> header(r, CloudEventHeaders.ID)).toList();
        List<AgentEvent> events = log.stream().map(BrokerOutageTest::agentEvent).toList();
        List<Long> sequences = events.stream().map(AgentEvent::sequence).toList();
        assertThat(log.stream().map(ConsumerRecord::partition).distinct()).as("one partition per agent").hasSize(1);
        assertThat(ids).as("each event once").doesNotHaveDuplicates();
        String history = events.stream().map(BrokerOutageTest::describe).collect(Collectors.joining(", "));
        assertThat(ids).as("every held event arrived; the agent's log: %s", history).containsAll(heldIds);
        assertThat(ids).as("the held events, in the order held").containsSubsequence(held.stream().map(Held::eventId).toList());

        CommandResult result = only(events, "cmd-o2");
        assertThat(result.outcome()).as(result.message()).isEqualTo(CommandOutcome.SUCCEEDED);
        assertThat(result.health().generation()).isEqualTo(2);
        assertThat(result.health().systemPath()).isEqualTo(next.systemPath());
        assertThat(result.health().systemState()).isEqualTo("running");
        assertThat(result.sequence()).isEqualTo(resultSequence);
        // the whole log in sequence order, whichever thread (commands, heartbeats) made an event
        assertThat(sequences).as("the agent's log: %s", history).isSorted().doesNotHaveDuplicates();
        // from the first event after the outage began to the result, every sequence number, in order, each once
        assertThat(sequences.stream().filter(s -> s > lastSeenBefore && s <= result.sequence()).toList())
                .as("sequences from %d to the result in log order; the agent's log: %s", lastSeenBefore + 1, history)
                .containsExactlyElementsOf(LongStream.rangeClosed(lastSeenBefore + 1, result.sequence()).boxed().toList());

        List<CommandProgress> progress = events.stream()
                .filter(e -> e instanceof CommandProgress p && p.commandId().equals("cmd-o2"))
                .map(CommandProgress.class::cast).toList();
        assertThat(collapse(progress.stream().map(CommandProgress::step).toList())).as("every step, in order")
                .containsExactlyElementsOf(UPGRADE_STEPS);
        assertThat(progress.get(0)).isEqualTo(first);
        assertThat(progress.stream().filter(p -> p.step().equals("DOWNLOADING")).reduce((a, b) -> b).orElseThrow()
                .bytesDone()).as("the download's last progress").isEqualTo(next.size());
        assertThat(progress.get(progress.size() - 1).sequence()).isLessThan(result.sequence());

        // and the outbox is drained
        Awaitility.await("the outbox drained").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> held.stream().noneMatch(h -> Files.exists(h.file())));
    }

    /**
     * A broker of this class's own, stopped and started again by the test. Its {@code beforeAll} runs before any
     * {@code @BeforeAll} method (so {@link AgentTestSupport#setUp()} connects to it), its {@code afterAll} after
     * every {@code @AfterAll} method (so the support's clients are closed by then).
     */
    static final class OwnBroker implements BeforeAllCallback, AfterAllCallback {
        private Path dir;
        EmbeddedKafka kafka;
        boolean up;

        @Override
        public void beforeAll(ExtensionContext context) throws IOException {
            dir = Files.createTempDirectory("broker-outage-");
            kafka = EmbeddedKafka.start(dir.resolve("kafka"));
            up = true;
            kafka.createTopics(Topics.ALL, Topics.DEFAULT_PARTITIONS);
            AgentTestSupport.kafka = role -> kafka.clientEnvironment(role); // the broker of the moment, same principals
        }

        void stop() {
            up = false;
            kafka.close();
        }

        /** On the same ports and log directory, which is not formatted again: the topics and records are kept. */
        void restart() {
            kafka = EmbeddedKafka.start(kafka.dir(), kafka.brokerPort(), kafka.controllerPort());
            up = true;
        }

        @Override
        public void afterAll(ExtensionContext context) throws IOException {
            try {
                if (up) {
                    kafka.close();
                }
            } finally {
                try (Stream<Path> paths = Files.walk(dir)) {
                    paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    /** One event as written to the agent's outbox and not yet acknowledged by the broker. */
    private record Held(Path file, String eventId, AgentEvent event) {
    }

    private static List<Held> held(Path outbox) throws IOException {
        List<Path> files;
        try (Stream<Path> list = Files.list(outbox)) {
            files = list.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
        }
        List<Held> out = new ArrayList<>();
        for (Path file : files) {
            JsonNode json = Json.MAPPER.readTree(Files.readAllBytes(file));
            if (!Topics.AGENT_EVENTS.equals(json.get("topic").asText())) {
                continue;
            }
            Map<String, String> headers = new LinkedHashMap<>();
            json.get("headers").fields().forEachRemaining(h -> headers.put(h.getKey(), h.getValue().asText()));
            org.apache.kafka.common.header.internals.RecordHeaders recordHeaders =
                    new org.apache.kafka.common.header.internals.RecordHeaders();
            headers.forEach((k, v) -> recordHeaders.add(k, v.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            Decoded decoded = EventDecoder.of(Topics.AGENT_EVENTS).decode(recordHeaders, json.get("key").asText(),
                    Base64.getDecoder().decode(json.get("value").asText()));
            assertThat(decoded).as("outbox file %s", file).isInstanceOf(Decoded.Event.class);
            out.add(new Held(file, headers.get(CloudEventHeaders.ID),
                    (AgentEvent) ((Decoded.Event) decoded).event().data()));
        }
        return out;
    }

    private static String describe(AgentEvent e) {
        if (e instanceof CommandProgress p) {
            return e.sequence() + " " + p.commandId() + " " + p.step();
        }
        if (e instanceof CommandResult r) {
            return e.sequence() + " " + r.commandId() + " " + r.outcome();
        }
        return e.sequence() + " " + e.getClass().getSimpleName();
    }

    private static int indexOfResult(List<Held> held, String commandId) {
        for (int i = 0; i < held.size(); i++) {
            if (isResultOf(held.get(i).event(), commandId)) {
                return i;
            }
        }
        throw new AssertionError("no result of " + commandId + " held");
    }

    private static boolean outboxEmpty(Path outbox) {
        try (Stream<Path> files = Files.list(outbox)) {
            return files.noneMatch(p -> p.getFileName().toString().endsWith(".json"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static boolean isResultOf(AgentEvent event, String commandId) {
        return event instanceof CommandResult r && r.commandId().equals(commandId);
    }

    /** The agent's events the shared consumer has seen so far. */
    private static List<AgentEvent> agentEventsSeen() {
        return seen.stream().filter(r -> r.topic().equals(Topics.AGENT_EVENTS) && AGENT_ID.equals(r.key()))
                .map(BrokerOutageTest::agentEvent).toList();
    }

    private static AgentEvent agentEvent(ConsumerRecord<String, byte[]> record) {
        Decoded decoded = EventDecoder.of(record.topic()).decode(record);
        assertThat(decoded).as("%s-%d@%d", record.topic(), record.partition(), record.offset())
                .isInstanceOf(Decoded.Event.class);
        return (AgentEvent) ((Decoded.Event) decoded).event().data();
    }

    /**
     * The agent's whole history on {@code fleet.agent-events}, read afresh from the beginning (no consumer group),
     * once {@code complete} holds and then two polls in a row bring nothing more (late duplicates would show up).
     */
    private static List<ConsumerRecord<String, byte[]>> readAgentEvents(
            java.util.function.Predicate<List<ConsumerRecord<String, byte[]>>> complete) {
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        try (var reader = new KafkaConsumer<>(clientProperties(KafkaRole.ADMIN),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = LongStream.range(0, Topics.DEFAULT_PARTITIONS)
                    .mapToObj(p -> new TopicPartition(Topics.AGENT_EVENTS, (int) p)).toList();
            reader.assign(partitions);
            reader.seekToBeginning(partitions);
            long until = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            int quiet = 0;
            boolean done = false;
            while (System.nanoTime() < until) {
                var batch = reader.poll(Duration.ofMillis(500));
                batch.forEach(r -> {
                    if (AGENT_ID.equals(r.key())) {
                        out.add(r);
                    }
                });
                quiet = batch.isEmpty() ? quiet + 1 : 0;
                if (done && quiet >= 2) {
                    return out;
                }
                done = done || complete.test(out);
            }
        }
        throw new AssertionError("the held events did not arrive within 120 s; got " + out.size() + " of the agent's");
    }

    private static CommandResult only(List<AgentEvent> events, String commandId) {
        List<CommandResult> results = events.stream().filter(e -> isResultOf(e, commandId))
                .map(CommandResult.class::cast).toList();
        assertThat(results).as("results of %s", commandId).hasSize(1);
        return results.get(0);
    }

    private static List<String> collapse(List<String> steps) {
        List<String> out = new ArrayList<>();
        for (String s : steps) {
            if (out.isEmpty() || !out.get(out.size() - 1).equals(s)) {
                out.add(s);
            }
        }
        return out;
    }

    private static String header(ConsumerRecord<String, byte[]> record, String name) {
        var h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    /** Serves a release from the store once the gate is open. */
    private static void serveAfterTheGate(HttpExchange exchange) throws IOException {
        try (exchange) {
            downloadRequested.countDown();
            if (!gate.await(120, TimeUnit.SECONDS)) {
                exchange.sendResponseHeaders(503, -1);
                return;
            }
            String sha = exchange.getRequestURI().getPath().substring(1);
            Path file = store.artifact(sha).orElse(null);
            if (file == null || exchange.getRequestHeaders().containsKey("Range")) {
                exchange.sendResponseHeaders(file == null ? 404 : 416, -1);
                return;
            }
            exchange.getResponseHeaders().add("ETag", "\"" + sha + "\"");
            exchange.sendResponseHeaders(200, Files.size(file));
            try (OutputStream out = exchange.getResponseBody()) {
                Files.copy(file, out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
