package io.wslfleet.embedded;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.utils.Time;

/**
 * One node (broker and controller in one) of a {@link KafkaCluster}, as its own process:
 * {@code java -cp <classpath> io.wslfleet.embedded.ClusterNode <cluster dir> <node id>}. It reads the cluster's
 * layout ({@value #LAYOUT}: cluster id, every node's ports) and secrets ({@code credentials.properties}, the
 * certificates) from the cluster directory, formats {@code node-<id>/kraft-logs} with {@code StorageTool.execute}
 * when it is not formatted yet (so a killed node restarts on its data), and runs until it is terminated.
 *
 * <p>Each node has the secured listeners of {@link EmbeddedKafka} (clients: SASL_SSL with SCRAM-SHA-512 per
 * {@link KafkaRole}; inter-broker and controller: SASL/PLAIN with the broker's own principal) and a cluster's
 * durability: replication factor 3 and {@code min.insync.replicas} 2 for every topic unless it says otherwise,
 * internal topics included, no unclean leader election.
 */
public final class ClusterNode {

    static final String LAYOUT = "cluster.properties";
    static final String CREDENTIALS = "credentials.properties";

    private ClusterNode() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: ClusterNode <cluster dir> <node id>");
            System.exit(2);
        }
        Path clusterDir = Path.of(args[0]);
        int nodeId = Integer.parseInt(args[1]);
        KafkaRaftServer server = start(clusterDir, nodeId);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.shutdown();
            server.awaitShutdown();
            stopped.countDown();
        }, "cluster-node-shutdown"));
        System.out.println("node " + nodeId + " started");
        stopped.await();
    }

    static KafkaRaftServer start(Path clusterDir, int nodeId) throws IOException {
        Properties layout = read(clusterDir.resolve(LAYOUT));
        Credentials credentials = Credentials.read(clusterDir.resolve(CREDENTIALS));
        Path nodeDir = clusterDir.resolve("node-" + nodeId);
        Files.createDirectories(nodeDir);
        Path logDir = nodeDir.resolve("kraft-logs");
        int nodes = Integer.parseInt(layout.getProperty("nodes"));

        Properties props = new Properties();
        props.put("process.roles", "broker,controller");
        props.put("node.id", String.valueOf(nodeId));
        props.put("controller.quorum.voters", IntStream.rangeClosed(1, nodes)
                .mapToObj(n -> n + "@127.0.0.1:" + port(layout, n, "controller")).collect(Collectors.joining(",")));
        props.put("controller.listener.names", "CONTROLLER");
        EmbeddedKafka.secureListeners(props, BrokerCertificates.in(clusterDir, credentials.storePassword()),
                port(layout, nodeId, "client"), port(layout, nodeId, "internal"), port(layout, nodeId, "controller"),
                credentials);
        props.put("log.dirs", logDir.toString());
        props.put("num.partitions", "4");
        props.put("default.replication.factor", String.valueOf(Math.min(3, nodes)));
        props.put("min.insync.replicas", String.valueOf(Math.min(2, nodes)));
        props.put("unclean.leader.election.enable", "false");
        props.put("auto.create.topics.enable", "false");
        String replication = String.valueOf(Math.min(3, nodes));
        String minIsr = String.valueOf(Math.min(2, nodes));
        props.put("offsets.topic.replication.factor", replication);
        props.put("offsets.topic.num.partitions", "4");
        props.put("transaction.state.log.replication.factor", replication);
        props.put("transaction.state.log.min.isr", minIsr);
        props.put("transaction.state.log.num.partitions", "4");
        props.put("share.coordinator.state.topic.replication.factor", replication);
        props.put("share.coordinator.state.topic.min.isr", minIsr);
        props.put("group.initial.rebalance.delay.ms", "0");
        // a killed node is fenced (and leaves every ISR) within seconds, not the defaults' 9 s and 30 s
        props.put("broker.heartbeat.interval.ms", "1000");
        props.put("broker.session.timeout.ms", "6000");
        props.put("replica.lag.time.max.ms", "10000");
        props.put("log.cleaner.threads", "1");
        props.put("log.cleaner.dedupe.buffer.size", String.valueOf(4 * 1024 * 1024));
        props.put("num.network.threads", "2");
        props.put("num.io.threads", "2");
        props.put("num.replica.fetchers", "1");
        props.put("background.threads", "2");

        Path configFile = nodeDir.resolve("server.properties");
        try (var out = Files.newBufferedWriter(configFile, StandardCharsets.UTF_8)) {
            props.store(out, "WSL Fleet cluster node " + nodeId);
        }
        Credentials.ownerOnly(configFile);
        if (!EmbeddedKafka.isFormatted(logDir)) {
            EmbeddedKafka.format(configFile, credentials, layout.getProperty("cluster.id"));
        }
        KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
        server.startup();
        return server;
    }

    static int port(Properties layout, int nodeId, String listener) {
        String value = layout.getProperty("node." + nodeId + "." + listener);
        if (value == null) {
            throw new IllegalStateException("the cluster layout has no " + listener + " port for node " + nodeId);
        }
        return Integer.parseInt(value);
    }

    static Properties read(Path file) {
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + file, e);
        }
        return p;
    }
}
