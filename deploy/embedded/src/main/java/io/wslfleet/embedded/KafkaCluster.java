package io.wslfleet.embedded;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import io.wslfleet.protocol.kafka.KafkaClientSettings;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * A real Kafka cluster of N KRaft nodes, each a {@link ClusterNode} in a JVM of its own (so a node can be killed
 * with SIGKILL, as a power cut would, and started again on its data). The nodes share one cluster id, one CA and
 * broker certificate, and the principals of {@link KafkaRole} with the ACLs of {@link FleetAcls}: clients see the
 * same SASL_SSL listener as on {@link EmbeddedKafka}, on every node. Topics are created with replication factor 3
 * (at most N) and {@code min.insync.replicas} 2, so with acks=all a write survives the loss of one node.
 *
 * <p>Layout under the cluster directory: {@value ClusterNode#LAYOUT} (cluster id, each node's client, inter-broker
 * and controller port), {@code credentials.properties} and the key stores (owner only), and {@code node-<id>/}
 * with each node's {@code server.properties}, {@code kraft-logs} and {@code node.log}.
 */
public final class KafkaCluster implements AutoCloseable {

    /** The JVM options of a node: a small heap and footprint, for a machine that runs the whole fleet. */
    public static final List<String> NODE_JVM_OPTIONS = List.of("-Xms64m", "-Xmx384m", "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1", "-Xss512k", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");

    private final Path dir;
    private final int size;
    private final Properties layout;
    private final Credentials credentials;
    private final List<String> jvmOptions;
    private final String classpath;
    private final Map<Integer, Process> nodes = new ConcurrentSkipListMap<>();
    /** Kills the nodes if this JVM ends without closing the cluster (a test run interrupted), so none is left. */
    private final Thread reaper = new Thread(this::killAll, "kafka-cluster-reaper");

    private KafkaCluster(Path dir, int size, Properties layout, Credentials credentials, List<String> jvmOptions,
                         String classpath) {
        this.dir = dir;
        this.size = size;
        this.layout = layout;
        this.credentials = credentials;
        this.jvmOptions = List.copyOf(jvmOptions);
        this.classpath = classpath;
    }

    /** Starts a new cluster of {@code size} nodes in {@code dir} (empty or absent), with this JVM's class path. */
    public static KafkaCluster start(Path dir, int size) {
        return start(dir, size, NODE_JVM_OPTIONS, System.getProperty("java.class.path"));
    }

    /** Starts a new cluster; each node runs {@code java <jvmOptions> -cp <classpath> ClusterNode}. */
    public static KafkaCluster start(Path dir, int size, List<String> jvmOptions, String classpath) {
        if (size < 1) {
            throw new IllegalArgumentException("a cluster has at least one node, not " + size);
        }
        KafkaCluster cluster;
        try {
            Files.createDirectories(dir);
            Credentials credentials = Credentials.create(dir.resolve(ClusterNode.CREDENTIALS),
                    EmbeddedKafka.Security.SASL_SSL);
            BrokerCertificates.in(dir, credentials.storePassword()); // made once, before any node reads them
            Properties layout = new Properties();
            layout.setProperty("cluster.id", Uuid.randomUuid().toString());
            layout.setProperty("nodes", String.valueOf(size));
            for (int n = 1; n <= size; n++) {
                for (String listener : List.of("client", "internal", "controller")) {
                    layout.setProperty("node." + n + "." + listener, String.valueOf(EmbeddedKafka.freePort()));
                }
            }
            Path layoutFile = dir.resolve(ClusterNode.LAYOUT);
            try (Writer out = Files.newBufferedWriter(layoutFile, StandardCharsets.UTF_8)) {
                layout.store(out, "WSL Fleet Kafka cluster of " + size + " nodes");
            }
            Credentials.ownerOnly(layoutFile);
            cluster = new KafkaCluster(dir, size, layout, credentials, jvmOptions, classpath);
            Runtime.getRuntime().addShutdownHook(cluster.reaper);
        } catch (IOException e) {
            throw new UncheckedIOException("could not lay out a Kafka cluster in " + dir, e);
        }
        try {
            for (int n = 1; n <= size; n++) {
                cluster.launch(n);
            }
            cluster.awaitBrokers(size, Duration.ofMinutes(3));
            try (Admin admin = cluster.admin()) {
                admin.createAcls(FleetAcls.all()).all().get(60, TimeUnit.SECONDS);
            }
            return cluster;
        } catch (Exception e) {
            cluster.close();
            throw new IllegalStateException("the Kafka cluster in " + dir + " did not start", e);
        }
    }

    private synchronized void launch(int node) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", classpath, ClusterNode.class.getName(), dir.toString(), String.valueOf(node)));
        Path log = nodeLog(node);
        try {
            Files.createDirectories(log.getParent());
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
            nodes.put(node, process);
        } catch (IOException e) {
            throw new UncheckedIOException("could not start node " + node + " of the Kafka cluster", e);
        }
    }

    /** SIGKILL: the node's process ends at once, without its shutdown (no controlled leader hand-over). */
    public synchronized void kill(int node) {
        Process process = process(node);
        process.destroyForcibly();
        await(process, node);
    }

    /** Starts a stopped or killed node again, on its data and its ports. */
    public synchronized void restart(int node) {
        if (process(node).isAlive()) {
            throw new IllegalStateException("node " + node + " is still running");
        }
        launch(node);
    }

    public synchronized boolean isAlive(int node) {
        return process(node).isAlive();
    }

    public synchronized long pid(int node) {
        return process(node).pid();
    }

    /** Waits until {@code count} brokers are registered and unfenced (what {@code describeCluster} lists). */
    public void awaitBrokers(int count, Duration timeout) {
        awaitCondition(count + " brokers in the cluster", timeout, admin -> {
            checkAlive();
            return admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).size() >= count;
        });
    }

    /** Waits until every partition of the topics has all its replicas in sync (e.g. after a node came back). */
    public void awaitInSync(Collection<String> topics, Duration timeout) {
        awaitCondition("every replica of " + topics + " in sync", timeout, admin -> {
            checkAlive();
            return admin.describeTopics(topics).allTopicNames().get(10, TimeUnit.SECONDS).values().stream()
                    .flatMap(t -> t.partitions().stream())
                    .allMatch(p -> p.isr().size() == p.replicas().size() && p.leader() != null);
        });
    }

    /** The node leading the partition, if it has a leader. */
    public Optional<Integer> leaderOf(String topic, int partition) {
        try (Admin admin = admin()) {
            TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames()
                    .get(30, TimeUnit.SECONDS).get(topic);
            return description.partitions().stream().filter(p -> p.partition() == partition)
                    .map(TopicPartitionInfo::leader).filter(l -> l != null && !l.isEmpty()).map(Node::id).findFirst();
        } catch (Exception e) {
            throw new IllegalStateException("could not describe " + topic, e);
        }
    }

    /**
     * Creates the topics that do not exist yet, with the given partitions, replication factor 3 (at most the
     * cluster's size) and {@code min.insync.replicas} 2 (at most the replication factor less one, at least 1).
     */
    public void createTopics(Collection<String> names, int partitions) {
        short replication = (short) Math.min(3, size);
        String minIsr = String.valueOf(Math.max(1, Math.min(2, replication - 1)));
        try (Admin admin = admin()) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing = names.stream().filter(n -> !existing.contains(n))
                    .map(n -> new NewTopic(n, partitions, replication).configs(Map.of("min.insync.replicas", minIsr)))
                    .collect(Collectors.toList());
            if (!missing.isEmpty()) {
                admin.createTopics(missing).all().get(60, TimeUnit.SECONDS);
            }
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("could not create topics " + names, e);
            }
        } catch (Exception e) {
            throw new IllegalStateException("could not create topics " + names, e);
        }
    }

    /** An admin client with the {@link KafkaRole#ADMIN} principal (super user). */
    public Admin admin() {
        Map<String, Object> props = clientProperties(KafkaRole.ADMIN);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        return Admin.create(props);
    }

    /** Every node's client listener, comma-separated. */
    public String bootstrapServers() {
        return IntStream.rangeClosed(1, size).mapToObj(n -> "127.0.0.1:" + ClusterNode.port(layout, n, "client"))
                .collect(Collectors.joining(","));
    }

    /** The client properties of {@code role} (bootstrap servers, SASL_SSL, its principal); a new, modifiable map. */
    public Map<String, Object> clientProperties(KafkaRole role) {
        Map<String, Object> props = new LinkedHashMap<>(KafkaClientSettings.security(clientEnvironment(role)));
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        return props;
    }

    /** The {@code FLEET_KAFKA_*} variables of a program in {@code role}. */
    public Map<String, String> clientEnvironment(KafkaRole role) {
        return EmbeddedKafka.clientEnvironment(role, bootstrapServers(), credentials, truststore());
    }

    public Path truststore() {
        return dir.resolve("truststore.p12");
    }

    public Path dir() {
        return dir;
    }

    public int size() {
        return size;
    }

    public Path nodeLog(int node) {
        return dir.resolve("node-" + node).resolve("node.log");
    }

    /** SIGTERM to every node (a clean shutdown), then SIGKILL to any still running after 30 s. */
    @Override
    public synchronized void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(reaper);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or about to: it kills what is left
        }
        nodes.values().forEach(Process::destroy);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (Map.Entry<Integer, Process> node : nodes.entrySet()) {
            try {
                long left = Math.max(0, deadline - System.nanoTime());
                if (!node.getValue().waitFor(left, TimeUnit.NANOSECONDS)) {
                    node.getValue().destroyForcibly();
                    await(node.getValue(), node.getKey());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                node.getValue().destroyForcibly();
            }
        }
    }

    private void killAll() {
        nodes.values().forEach(Process::destroyForcibly);
    }

    private Process process(int node) {
        Process process = nodes.get(node);
        if (process == null) {
            throw new IllegalArgumentException("the cluster has nodes 1 to " + size + ", not " + node);
        }
        return process;
    }

    private synchronized void checkAlive() {
        // a node that exited by itself (not killed by this class: then it is not waited for) fails the wait at once
        for (Map.Entry<Integer, Process> node : nodes.entrySet()) {
            Process p = node.getValue();
            if (!p.isAlive() && p.exitValue() != 137 && p.exitValue() != 143) {
                throw new IllegalStateException("node " + node.getKey() + " exited with " + p.exitValue() + "; see "
                        + nodeLog(node.getKey()));
            }
        }
    }

    @FunctionalInterface
    private interface AdminProbe {
        boolean test(Admin admin) throws Exception;
    }

    private void awaitCondition(String what, Duration timeout, AdminProbe probe) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        try (Admin admin = admin()) {
            while (System.nanoTime() < deadline) {
                try {
                    if (probe.test(admin)) {
                        return;
                    }
                } catch (IllegalStateException e) {
                    throw e;
                } catch (Exception e) {
                    last = e;
                }
                Thread.sleep(250);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + what, e);
        }
        throw new IllegalStateException("timed out after " + timeout.toSeconds() + " s waiting for " + what, last);
    }

    private static void await(Process process, int node) {
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("node " + node + " did not end");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while node " + node + " ended", e);
        }
    }
}
