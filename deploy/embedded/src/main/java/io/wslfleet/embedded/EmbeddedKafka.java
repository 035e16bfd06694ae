package io.wslfleet.embedded;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;

/**
 * A real single-node Kafka broker in KRaft mode (broker and controller in one), running inside
 * this JVM on free loopback ports. The log directory is formatted with {@link StorageTool#execute}
 * exactly as {@code kafka-storage.sh format} would, then {@link KafkaRaftServer} starts on it.
 *
 * <p>Settings are those of a one-node development broker: replication factor 1 for the internal
 * topics, no initial rebalance delay, small cleaner buffers, and no automatic topic creation
 * (topics are created explicitly, so a misspelt topic name fails instead of silently working).
 */
public final class EmbeddedKafka implements AutoCloseable {

    private final KafkaRaftServer server;
    private final String bootstrap;
    private final Path logDir;
    private final Path dir;
    private final int brokerPort;
    private final int controllerPort;

    private EmbeddedKafka(KafkaRaftServer server, String bootstrap, Path logDir, Path dir, int brokerPort,
                          int controllerPort) {
        this.server = server;
        this.bootstrap = bootstrap;
        this.logDir = logDir;
        this.dir = dir;
        this.brokerPort = brokerPort;
        this.controllerPort = controllerPort;
    }

    /** Formats {@code dir} (which must be empty or absent) and starts a broker on it. */
    public static EmbeddedKafka start(Path dir) {
        try {
            return start(dir, freePort(), freePort(), false);
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the embedded Kafka broker in " + dir, e);
        }
    }

    /**
     * Starts a broker on {@code dir} listening on the given ports. The log directory is formatted only when it is
     * not formatted yet: a broker that was {@linkplain #close() closed} starts again on the same data (topics,
     * records, committed offsets), e.g. {@code EmbeddedKafka.start(old.dir(), old.brokerPort(), old.controllerPort())}
     * to bring a stopped broker back where its clients expect it.
     */
    public static EmbeddedKafka start(Path dir, int brokerPort, int controllerPort) {
        return start(dir, brokerPort, controllerPort, true);
    }

    private static EmbeddedKafka start(Path dir, int brokerPort, int controllerPort, boolean reuseStorage) {
        try {
            Files.createDirectories(dir);
            Path logDir = dir.resolve("kraft-logs");
            Properties props = new Properties();
            props.put("process.roles", "broker,controller");
            props.put("node.id", "1");
            props.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
            props.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
            props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
            props.put("controller.listener.names", "CONTROLLER");
            props.put("inter.broker.listener.name", "PLAINTEXT");
            props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
            props.put("log.dirs", logDir.toString());
            props.put("num.partitions", "4");
            props.put("auto.create.topics.enable", "false");
            props.put("offsets.topic.replication.factor", "1");
            props.put("offsets.topic.num.partitions", "4");
            props.put("transaction.state.log.replication.factor", "1");
            props.put("transaction.state.log.min.isr", "1");
            props.put("transaction.state.log.num.partitions", "4");
            props.put("share.coordinator.state.topic.replication.factor", "1");
            props.put("share.coordinator.state.topic.min.isr", "1");
            props.put("group.initial.rebalance.delay.ms", "0");
            props.put("log.cleaner.threads", "1");
            props.put("log.cleaner.dedupe.buffer.size", String.valueOf(4 * 1024 * 1024));
            props.put("num.network.threads", "2");
            props.put("num.io.threads", "2");
            props.put("background.threads", "2");
            props.put("log.flush.interval.messages", String.valueOf(Long.MAX_VALUE));

            Path configFile = dir.resolve("server.properties");
            try (var out = Files.newBufferedWriter(configFile, StandardCharsets.UTF_8)) {
                props.store(out, "WSL Fleet embedded broker");
            }
            if (!reuseStorage || !isFormatted(logDir)) {
                format(configFile);
            }

            KafkaConfig config = KafkaConfig.fromProps(props, false);
            KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
            server.startup();
            EmbeddedKafka kafka = new EmbeddedKafka(server, "127.0.0.1:" + brokerPort, logDir, dir, brokerPort,
                    controllerPort);
            kafka.awaitReady();
            return kafka;
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the embedded Kafka broker in " + dir, e);
        }
    }

    /** {@code kafka-storage.sh format} writes {@code meta.properties} into the log directory (also the metadata one). */
    private static boolean isFormatted(Path logDir) {
        return Files.isRegularFile(logDir.resolve("meta.properties"));
    }

    private static void format(Path configFile) {
        var captured = new ByteArrayOutputStream();
        String clusterId = Uuid.randomUuid().toString();
        int rc;
        try (var out = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
            rc = StorageTool.execute(new String[] {"format", "-t", clusterId, "-c", configFile.toString()}, out);
        }
        if (rc != 0) {
            throw new IllegalStateException("kafka storage format failed (exit " + rc + "): "
                    + captured.toString(StandardCharsets.UTF_8));
        }
    }

    private void awaitReady() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        try (Admin admin = admin()) {
            while (true) {
                try {
                    admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
                    return;
                } catch (Exception e) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("embedded Kafka broker did not become ready", e);
                    }
                    sleep(100);
                }
            }
        }
    }

    /** Creates the topics that do not exist yet, with the given partition count and replication factor 1. */
    public void createTopics(Collection<String> names, int partitions) {
        try (Admin admin = admin()) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing = names.stream()
                    .filter(n -> !existing.contains(n))
                    .map(n -> new NewTopic(n, partitions, (short) 1))
                    .collect(Collectors.toList());
            if (missing.isEmpty()) {
                return;
            }
            try {
                admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException("could not create topics " + names, e);
        }
    }

    public Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000));
    }

    public String bootstrapServers() {
        return bootstrap;
    }

    public Path logDir() {
        return logDir;
    }

    /** The directory the broker was started on (its config and log directory are inside). */
    public Path dir() {
        return dir;
    }

    public int brokerPort() {
        return brokerPort;
    }

    public int controllerPort() {
        return controllerPort;
    }

    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(false);
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return socket.getLocalPort();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
