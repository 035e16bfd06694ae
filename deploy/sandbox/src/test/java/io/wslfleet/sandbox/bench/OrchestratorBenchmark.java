package io.wslfleet.sandbox.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

import io.wslfleet.embedded.FleetInfra;
import io.wslfleet.embedded.KafkaRole;
import io.wslfleet.protocol.CloudEvent;
import io.wslfleet.protocol.Decoded;
import io.wslfleet.protocol.EventCodec;
import io.wslfleet.protocol.EventDecoder;
import io.wslfleet.protocol.Topics;
import io.wslfleet.protocol.events.AgentEvent;
import io.wslfleet.protocol.events.AgentHeartbeat;
import io.wslfleet.protocol.events.AgentRegistered;
import io.wslfleet.protocol.events.DistroInfo;
import io.wslfleet.protocol.events.GenerationInfo;
import io.wslfleet.protocol.events.Health;
import io.wslfleet.protocol.events.Inventory;
import io.wslfleet.protocol.events.NixosMetadata;
import io.wslfleet.protocol.events.ReleasePublished;
import io.wslfleet.sandbox.ChildProcess;
import io.wslfleet.sandbox.FleetApi;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Not a test: a simulated fleet of 100,000 machines speaking the real protocol to the packaged orchestrator through
 * the embedded broker and database. Measures, in one run:
 * <ol>
 *   <li>agent events ingested per second (a registration and a heartbeat from every machine, produced as fast as
 *   the producer goes, until every event has its row in the processed-event log), against the broker's raw consume
 *   rate of the same records by a plain consumer in the same run, with and without decoding;</li>
 *   <li>event-to-database latency percentiles at a steady heartbeat rate below the ingest capacity (the send time
 *   against {@code processed_event.processed_at}, stamped in the event's transaction);</li>
 *   <li>the time to enqueue commands for 100,000 deployments: one rollout whose first wave is every machine, from
 *   the API call to all commands in the outbox, and to all of them published on {@code fleet.commands}.</li>
 * </ol>
 * Writes {@code docs/benchmarks/orchestrator.md}.
 *
 * <pre>./mvnw -q install -DskipTests &amp;&amp; ./mvnw -q -pl deploy/sandbox exec:java \
 *   -Dexec.mainClass=io.wslfleet.sandbox.bench.OrchestratorBenchmark -Dexec.classpathScope=test [-Dexec.args=100000]</pre>
 */
public final class OrchestratorBenchmark {
    private static final String OLD_SYSTEM = "/nix/store/" + "a".repeat(32) + "-nixos-system-ws-24.11.20250101.0000000";
    private static final String NEW_SYSTEM = "/nix/store/" + "b".repeat(32) + "-nixos-system-ws-25.05.20250601.abcdef0";

    private final int machines;
    private final FleetInfra infra;
    private final Map<String, String> results = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();
    private double ingestRate;

    private OrchestratorBenchmark(int machines, FleetInfra infra) {
        this.machines = machines;
        this.infra = infra;
    }

    public static void main(String[] args) throws Exception {
        int machines = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        String heap = System.getProperty("bench.heap", "-Xmx1g");
        try (BenchOrchestrator orchestrator = BenchOrchestrator.start("orchestrator-bench", heap, 19000)) {
            OrchestratorBenchmark bench = new OrchestratorBenchmark(machines, orchestrator.infra);
            bench.notes.add("orchestrator: the packaged `quarkus-run.jar`, " + heap + ", default settings (agent "
                    + "events applied up to 500 per transaction, one consumer thread per instance)");
            bench.notes.add("PostgreSQL: the embedded test server (fsync and synchronous_commit off, as in the "
                    + "tests); a production server with durable commits adds a flush per transaction, which the "
                    + "batching amortises over up to 500 events or 5,000 commands");
            bench.notes.add("latency: the producer's send time against `processed_event.processed_at`, stamped in "
                    + "the event's transaction just before its commit; measured at a steady rate about half of "
                    + "the measured ingest rate (at most 2,000/s), so it shows the processing delay rather than a "
                    + "backlog draining");
            bench.ingest(orchestrator.process);
            bench.steadyLatency(orchestrator.process);
            bench.enqueue(orchestrator.api(), orchestrator.process);
            bench.write(orchestrator.root.resolve("docs/benchmarks/orchestrator.md"));
        }
    }

    // ---- 1. ingest rate against the broker's raw consume rate -------------------------------------------------------

    private void ingest(ChildProcess orchestrator) throws Exception {
        long before = processed();
        long t0 = System.nanoTime();
        try (KafkaProducer<String, byte[]> producer = producer()) {
            for (int i = 0; i < machines; i++) {
                send(producer, registration(i));
            }
            for (int i = 0; i < machines; i++) {
                send(producer, heartbeat(i, 2));
            }
            producer.flush();
        }
        double produced = seconds(t0);
        long events = 2L * machines;
        await("every event ingested", Duration.ofMinutes(60), () -> processed() - before, events, orchestrator);
        double ingested = seconds(t0);
        ingestRate = events / ingested;
        results.put("agent events produced (registration + heartbeat per machine)", fmt(events));
        results.put("producer: all sent and acknowledged", String.format(Locale.ROOT, "%.1f s (%,.0f events/s)",
                produced, events / produced));
        results.put("orchestrator: all ingested (a processed-event row each)", String.format(Locale.ROOT,
                "%.1f s → **%,.0f events/s**", ingested, events / ingested));
        double raw = rawConsume(false, events);
        double decoded = rawConsume(true, events);
        results.put("broker raw consume, same records, plain consumer", String.format(Locale.ROOT,
                "%.1f s → **%,.0f events/s**", events / raw, raw));
        results.put("broker consume + CloudEvents decode", String.format(Locale.ROOT, "%.1f s → %,.0f events/s",
                events / decoded, decoded));
        results.put("ingest rate against raw consume rate", String.format(Locale.ROOT, "%.1f%%",
                100.0 * (events / ingested) / raw));
        try (Connection c = db(); var s = c.createStatement();
             ResultSet r = s.executeQuery("select count(*) from machine")) {
            r.next();
            results.put("machines in the registry after ingest", fmt(r.getLong(1)));
        }
    }

    /** Reads every record of fleet.agent-events from the start; returns records per second. */
    private double rawConsume(boolean decode, long expected) {
        Properties p = new Properties();
        p.putAll(infra.kafkaClientProperties(KafkaRole.ADMIN)); // a load generator and meter, not a fleet program
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "2000");
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p)) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo info : consumer.partitionsFor(Topics.AGENT_EVENTS)) {
                partitions.add(new TopicPartition(info.topic(), info.partition()));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long n = 0;
            long events = 0;
            long t0 = System.nanoTime();
            while (n < expected) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    n++;
                    if (decode && EventDecoder.of(record.topic()).decode(record) instanceof Decoded.Event) {
                        events++;
                    }
                }
                if (System.nanoTime() - t0 > Duration.ofMinutes(10).toNanos()) {
                    throw new IllegalStateException("raw consume read " + n + " of " + expected);
                }
            }
            if (decode && events < expected) {
                throw new IllegalStateException("only " + events + " of " + expected + " records decoded");
            }
            return n / seconds(t0);
        }
    }

    // ---- 2. event-to-database latency at a steady rate ---------------------------------------------------------------

    private void steadyLatency(ChildProcess orchestrator) throws Exception {
        int rate = (int) Math.max(50, Math.min(2_000, ingestRate / 2));
        int seconds = 30;
        int total = rate * seconds;
        Map<String, Long> sentAt = new ConcurrentHashMap<>();
        long before = processed();
        try (KafkaProducer<String, byte[]> producer = producer(0)) {
            long start = System.nanoTime();
            for (int i = 0; i < total; i++) {
                long due = start + (long) (i * 1e9 / rate);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                CloudEvent<AgentEvent> event = CloudEvent.of("/agent/bench", heartbeat(i % machines, 3 + i / machines));
                sentAt.put(event.id(), System.currentTimeMillis());
                producer.send(EventCodec.toRecord(event));
            }
            producer.flush();
        }
        await("steady heartbeats ingested", Duration.ofMinutes(10), () -> processed() - before, total, orchestrator);
        List<Long> latencies = new ArrayList<>(total);
        try (Connection c = db(); PreparedStatement ps = c.prepareStatement(
                "select event_id, processed_at from processed_event where event_id = any (?)")) {
            ps.setArray(1, c.createArrayOf("varchar", sentAt.keySet().toArray()));
            try (ResultSet r = ps.executeQuery()) {
                while (r.next()) {
                    latencies.add(r.getTimestamp(2).getTime() - sentAt.get(r.getString(1)));
                }
            }
        }
        latencies.sort(Long::compare);
        results.put("steady heartbeat rate for latency", String.format(Locale.ROOT,
                "%,d events/s for %d s (%,d events; %,d machines heartbeating every 60 s send %,d/s)",
                rate, seconds, total, machines, machines / 60));
        results.put("event-to-database latency p50 / p90 / p99 / max", String.format(Locale.ROOT,
                "**%d / %d / %d / %d ms**", percentile(latencies, 50), percentile(latencies, 90),
                percentile(latencies, 99), latencies.get(latencies.size() - 1)));
    }

    private static long percentile(List<Long> sorted, int p) {
        return sorted.get(Math.max(0, (int) Math.ceil(sorted.size() * p / 100.0) - 1));
    }

    // ---- 3. enqueueing commands for every machine --------------------------------------------------------------------

    private void enqueue(FleetApi api, ChildProcess orchestrator) throws Exception {
        NixosMetadata nixos = new NixosMetadata("25.05.20250601.abcdef0", "ws", NEW_SYSTEM, 1, "2505.7.0", 3L << 30,
                150_000);
        var signed = io.wslfleet.protocol.release.SignedManifest.sign(new io.wslfleet.protocol.release.ReleaseManifest(
                "rel-bench-25.05", "25.05.bench", "c".repeat(64), 1 << 30, nixos, java.time.Instant.now(),
                BenchOrchestrator.BUILD_KEY_ID), BenchOrchestrator.BUILD_KEY.getPrivate());
        ReleasePublished release = new ReleasePublished("rel-bench-25.05", "build-bench", "25.05.bench",
                "c".repeat(64), 1 << 30, "http://127.0.0.1:1/artifacts/" + "c".repeat(64) + "/nixos.wsl",
                signed.manifestJson(), signed.signature(), signed.keyId(), nixos);
        try (KafkaProducer<String, byte[]> producer = producer()) {
            producer.send(EventCodec.toRecord(CloudEvent.of("/build-worker/bench", release))).get();
        }
        await("release recorded", Duration.ofMinutes(1), () -> {
            try {
                api.get("api/v1/releases/" + release.releaseId());
                return 1;
            } catch (RuntimeException e) {
                return 0;
            }
        }, 1, orchestrator);
        long commandsBefore = endOffsets(Topics.COMMANDS);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", "bench: every machine in one wave");
        body.put("releaseId", release.releaseId());
        body.put("target", Map.of("rings", List.of("bench")));
        body.put("canary", Map.of("count", machines));
        body.put("deadlineSeconds", 86_400);
        body.put("start", true);
        long t0 = System.nanoTime();
        api.post("api/v1/rollouts", body);
        double created = seconds(t0);
        await("commands in the outbox", Duration.ofMinutes(30), () -> count(
                "select count(*) from outbox where topic = 'fleet.commands'"), machines, orchestrator);
        double enqueued = seconds(t0);
        await("commands published", Duration.ofMinutes(30), () -> endOffsets(Topics.COMMANDS) - commandsBefore,
                machines, orchestrator);
        double published = seconds(t0);
        long commanded = count("select count(*) from deployment where state = 'COMMANDED'");
        if (commanded != machines) {
            throw new IllegalStateException(commanded + " deployments commanded, expected " + machines);
        }
        results.put("rollout created and started (`POST /api/v1/rollouts`, " + fmt(machines) + " deployments)",
                String.format(Locale.ROOT, "%.1f s", created));
        results.put("all " + fmt(machines) + " commands in the outbox (each deployment's state change and its command "
                        + "in one transaction, at most 5,000 machines per 1 s tick)",
                String.format(Locale.ROOT, "**%.1f s** (%,.0f commands/s)", enqueued, machines / enqueued));
        results.put("all " + fmt(machines) + " commands published on `fleet.commands` by the relay",
                String.format(Locale.ROOT, "**%.1f s** (%,.0f commands/s)", published, machines / published));
    }

    // ---- helpers -----------------------------------------------------------------------------------------------------

    private AgentRegistered registration(int i) {
        String machine = String.format("ws-%06d", i);
        DistroInfo distro = new DistroInfo("NixOS", "Stopped", 2, true, 1, OLD_SYSTEM, "24.11", "2411.6.0",
                List.of(new GenerationInfo(1, OLD_SYSTEM)));
        return new AgentRegistered(machine + "/dev", 1, "bench",
                new Inventory(machine, "dev", machine.toUpperCase(Locale.ROOT), "10.0.26100", "2.4.11.0",
                        "5.15.167.4-1", 50L << 30, Map.of("ring", "bench", "team", "t" + (i % 20)),
                        List.of(distro)));
    }

    private AgentHeartbeat heartbeat(int i, long sequence) {
        String agent = String.format("ws-%06d/dev", i);
        return new AgentHeartbeat(agent, sequence, new Health("NixOS", i % 97 == 0 ? "degraded" : "running",
                i % 97 == 0 ? List.of("home-manager-dev.service") : List.of(), 1, OLD_SYSTEM, Instant.now()));
    }

    private static void send(KafkaProducer<String, byte[]> producer, AgentEvent event) {
        producer.send(EventCodec.toRecord(CloudEvent.of("/agent/" + event.agentId(), event)));
    }

    private KafkaProducer<String, byte[]> producer() {
        return producer(20);
    }

    private KafkaProducer<String, byte[]> producer(int lingerMs) {
        Properties p = new Properties();
        p.putAll(infra.kafkaClientProperties(KafkaRole.ADMIN)); // a load generator, writing as agents and build workers
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, String.valueOf(lingerMs));
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(256 * 1024));
        return new KafkaProducer<>(p);
    }

    private long endOffsets(String topic) {
        Properties p = new Properties();
        p.putAll(infra.kafkaClientProperties(KafkaRole.ADMIN)); // a load generator and meter, not a fleet program
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p)) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo info : consumer.partitionsFor(topic)) {
                partitions.add(new TopicPartition(info.topic(), info.partition()));
            }
            return consumer.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
        }
    }

    private Connection db() throws Exception {
        return DriverManager.getConnection(infra.jdbcUrl(), infra.dbUser(), infra.dbPassword());
    }

    private long count(String sql) {
        try (Connection c = db(); var s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        } catch (Exception e) {
            throw new IllegalStateException(sql, e);
        }
    }

    private long processed() {
        return count("select count(*) from processed_event where consumer = 'fleet.agent-events'");
    }

    private static void await(String what, Duration limit, LongSupplier progress, long target, ChildProcess process)
            throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        long last = -1;
        long lastPrint = 0;
        while (true) {
            long now = progress.getAsLong();
            if (now >= target) {
                return;
            }
            if (!process.isAlive()) {
                throw new IllegalStateException(process.name() + " died while waiting for " + what + ":\n"
                        + process.logTail(40));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(what + ": " + now + " of " + target + " after " + limit + "\n"
                        + process.logTail(40));
            }
            if (now != last && System.nanoTime() - lastPrint > 10_000_000_000L) {
                System.out.printf(Locale.ROOT, "  %s: %,d of %,d%n", what, now, target);
                lastPrint = System.nanoTime();
            }
            last = now;
            Thread.sleep(200);
        }
    }

    private static double seconds(long sinceNanos) {
        return (System.nanoTime() - sinceNanos) / 1e9;
    }

    private static String fmt(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    private void write(Path out) throws Exception {
        StringBuilder report = new StringBuilder("# Orchestrator benchmark\n\n")
                .append("Measured ").append(Instant.now()).append(" on this project's machine class (2 cores, 24 GiB),")
                .append(" by `").append(OrchestratorBenchmark.class.getName())
                .append("` (see its Javadoc for the command), with ").append(fmt(machines))
                .append(" simulated machines. The broker, PostgreSQL, the orchestrator and the load generator share")
                .append(" the two cores.\n\n");
        for (String note : notes) {
            report.append("- ").append(note).append('\n');
        }
        report.append("\n| Measure | Result |\n|---|---|\n");
        results.forEach((k, v) -> report.append("| ").append(k).append(" | ").append(v).append(" |\n"));
        Files.createDirectories(out.getParent());
        Files.writeString(out, report);
        System.out.println(report);
    }
}
