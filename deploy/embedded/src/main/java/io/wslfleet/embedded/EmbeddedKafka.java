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
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
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
import io.wslfleet.protocol.kafka.KafkaClientSettings;
import org.apache.kafka.clients.CommonClientConfigs;
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
 * <p>Secured by default, as a production broker is: clients connect to a {@code SASL_SSL} listener
 * (SCRAM-SHA-512, a CA and broker certificate made at first start, clients trust {@link #truststore()}),
 * one SCRAM principal per {@link KafkaRole} is created at format time, and {@code StandardAuthorizer}
 * allows each only what {@link FleetAcls} grants ({@link KafkaRole#ADMIN} is a super user). The
 * controller listener and the inter-broker listener use SASL/PLAIN with the broker's own principal and
 * are not for clients. {@link Security#PLAINTEXT} is the explicit opt-out: one unauthenticated listener,
 * no authorizer. The passwords are in {@code credentials.properties} in the broker's directory (owner
 * only), so a restarted broker keeps them.
 *
 * <p>Settings are those of a one-node development broker: replication factor 1 for the internal
 * topics, no initial rebalance delay, small cleaner buffers, and no automatic topic creation
 * (topics are created explicitly, so a misspelt topic name fails instead of silently working).
 */
public final class EmbeddedKafka implements AutoCloseable {

    /** How clients reach the broker. */
    public enum Security { SASL_SSL, PLAINTEXT }

    private static final String CREDENTIALS = "credentials.properties";
    private static final String BROKER_USER = "fleet-broker";

    private final KafkaRaftServer server;
    private final String bootstrap;
    private final Path logDir;
    private final Path dir;
    private final int brokerPort;
    private final int controllerPort;
    private final Credentials credentials;

    private EmbeddedKafka(KafkaRaftServer server, String bootstrap, Path logDir, Path dir, int brokerPort,
                          int controllerPort, Credentials credentials) {
        this.server = server;
        this.bootstrap = bootstrap;
        this.logDir = logDir;
        this.dir = dir;
        this.brokerPort = brokerPort;
        this.controllerPort = controllerPort;
        this.credentials = credentials;
    }

    /** Formats {@code dir} (which must be empty or absent) and starts a secured broker on it. */
    public static EmbeddedKafka start(Path dir) {
        return start(dir, Security.SASL_SSL);
    }

    /** Formats {@code dir} (which must be empty or absent) and starts a broker on it with the given security. */
    public static EmbeddedKafka start(Path dir, Security security) {
        try {
            return start(dir, freePort(), freePort(), false, security);
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the embedded Kafka broker in " + dir, e);
        }
    }

    /**
     * Starts a broker on {@code dir} listening on the given ports. The log directory is formatted only when it is
     * not formatted yet: a broker that was {@linkplain #close() closed} starts again on the same data (topics,
     * records, committed offsets, principals and ACLs, certificates), e.g.
     * {@code EmbeddedKafka.start(old.dir(), old.brokerPort(), old.controllerPort())} to bring a stopped broker back
     * where its clients expect it. A new directory gets a secured broker.
     */
    public static EmbeddedKafka start(Path dir, int brokerPort, int controllerPort) {
        return start(dir, brokerPort, controllerPort, true, Security.SASL_SSL);
    }

    private static EmbeddedKafka start(Path dir, int brokerPort, int controllerPort, boolean reuseStorage,
                                       Security security) {
        try {
            Files.createDirectories(dir);
            Path logDir = dir.resolve("kraft-logs");
            boolean formatted = reuseStorage && isFormatted(logDir);
            Credentials credentials = formatted && Files.isRegularFile(dir.resolve(CREDENTIALS))
                    ? Credentials.read(dir.resolve(CREDENTIALS))
                    : Credentials.create(dir.resolve(CREDENTIALS), formatted ? Security.PLAINTEXT : security);
            Properties props = new Properties();
            props.put("process.roles", "broker,controller");
            props.put("node.id", "1");
            props.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
            props.put("controller.listener.names", "CONTROLLER");
            if (credentials.secured()) {
                secureListeners(props, dir, brokerPort, controllerPort, credentials);
            } else {
                props.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
                props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
                props.put("inter.broker.listener.name", "PLAINTEXT");
                props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
            }
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
            Credentials.ownerOnly(configFile);
            if (!formatted) {
                format(configFile, credentials);
            }

            KafkaConfig config = KafkaConfig.fromProps(props, false);
            KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
            server.startup();
            EmbeddedKafka kafka = new EmbeddedKafka(server, "127.0.0.1:" + brokerPort, logDir, dir, brokerPort,
                    controllerPort, credentials);
            kafka.awaitReady();
            if (credentials.secured()) {
                kafka.createAcls();
            }
            return kafka;
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the embedded Kafka broker in " + dir, e);
        }
    }

    /**
     * CLIENT: SASL_SSL with SCRAM-SHA-512 for the fleet's principals. CONTROLLER and INTERNAL (inter-broker):
     * SASL_PLAINTEXT with PLAIN for the broker's own principal only (SCRAM credentials live in the metadata the
     * controller serves, so the controller cannot use them itself).
     */
    private static void secureListeners(Properties props, Path dir, int brokerPort, int controllerPort,
                                        Credentials credentials) {
        secureListeners(props, BrokerCertificates.in(dir, credentials.storePassword()), brokerPort,
                credentials.internalPort(), controllerPort, credentials);
    }

    /** The same listeners for one node of a {@link KafkaCluster}: its own ports, the cluster's certificates. */
    static void secureListeners(Properties props, BrokerCertificates tls, int brokerPort, int internalPort,
                                int controllerPort, Credentials credentials) {
        props.put("listeners", "CLIENT://127.0.0.1:" + brokerPort + ",INTERNAL://127.0.0.1:" + internalPort
                + ",CONTROLLER://127.0.0.1:" + controllerPort);
        props.put("advertised.listeners", "CLIENT://127.0.0.1:" + brokerPort + ",INTERNAL://127.0.0.1:" + internalPort);
        props.put("listener.security.protocol.map", "CLIENT:SASL_SSL,INTERNAL:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT");
        props.put("inter.broker.listener.name", "INTERNAL");

        props.put("listener.name.client.sasl.enabled.mechanisms", "SCRAM-SHA-512");
        props.put("listener.name.client.scram-sha-512.sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        props.put("listener.name.client.ssl.keystore.location", tls.keystore().toString());
        props.put("listener.name.client.ssl.keystore.password", tls.password());
        props.put("listener.name.client.ssl.key.password", tls.password());
        props.put("listener.name.client.ssl.keystore.type", BrokerCertificates.STORE_TYPE);
        props.put("listener.name.client.ssl.client.auth", "none");

        String brokerLogin = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                + BROKER_USER + "\" password=\"" + credentials.brokerPassword() + "\" user_" + BROKER_USER + "=\""
                + credentials.brokerPassword() + "\";";
        props.put("sasl.mechanism.controller.protocol", "PLAIN");
        props.put("sasl.mechanism.inter.broker.protocol", "PLAIN");
        for (String listener : List.of("controller", "internal")) {
            props.put("listener.name." + listener + ".sasl.enabled.mechanisms", "PLAIN");
            props.put("listener.name." + listener + ".plain.sasl.jaas.config", brokerLogin);
        }

        props.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        props.put("allow.everyone.if.no.acl.found", "false");
        props.put("super.users", "User:" + BROKER_USER + ";" + KafkaRole.ADMIN.principal());
    }

    /** {@code kafka-storage.sh format} writes {@code meta.properties} into the log directory (also the metadata one). */
    static boolean isFormatted(Path logDir) {
        return Files.isRegularFile(logDir.resolve("meta.properties"));
    }

    /** Formats the log directory; a secured broker gets the SCRAM credential of each role in its first metadata. */
    private static void format(Path configFile, Credentials credentials) {
        format(configFile, credentials, Uuid.randomUuid().toString());
    }

    /** Formats with a given cluster id: every node of a {@link KafkaCluster} is formatted with the cluster's. */
    static void format(Path configFile, Credentials credentials, String clusterId) {
        var captured = new ByteArrayOutputStream();
        List<String> args = new ArrayList<>(List.of("format", "-t", clusterId, "-c", configFile.toString()));
        if (credentials.secured()) {
            for (KafkaRole role : KafkaRole.values()) {
                args.add("--add-scram");
                args.add("SCRAM-SHA-512=[name=" + role.username() + ",password=" + credentials.password(role) + "]");
            }
        }
        int rc;
        try (var out = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
            rc = StorageTool.execute(args.toArray(String[]::new), out);
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

    private void createAcls() {
        try (Admin admin = admin()) {
            admin.createAcls(FleetAcls.all()).all().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("could not create the fleet's ACLs", e);
        }
    }

    /** An admin client with the {@link KafkaRole#ADMIN} principal (super user). */
    public Admin admin() {
        Map<String, Object> props = clientProperties(KafkaRole.ADMIN);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        return Admin.create(props);
    }

    public String bootstrapServers() {
        return bootstrap;
    }

    public Security security() {
        return credentials.secured() ? Security.SASL_SSL : Security.PLAINTEXT;
    }

    /**
     * The client properties a program of {@code role} connects with: bootstrap servers, and for a secured broker
     * SASL_SSL, SCRAM-SHA-512 with the role's principal and this broker's truststore. A new, modifiable map.
     */
    public Map<String, Object> clientProperties(KafkaRole role) {
        Map<String, Object> props = new LinkedHashMap<>(KafkaClientSettings.security(clientEnvironment(role)));
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        return props;
    }

    /** The same as {@code FLEET_KAFKA_*} variables ({@link KafkaClientSettings}), for a program's environment. */
    public Map<String, String> clientEnvironment(KafkaRole role) {
        return clientEnvironment(role, bootstrap, credentials, truststore());
    }

    /** A role's {@code FLEET_KAFKA_*} variables for any broker (or cluster) made with these credentials. */
    static Map<String, String> clientEnvironment(KafkaRole role, String bootstrap, Credentials credentials,
                                                 Path truststore) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put(KafkaClientSettings.BOOTSTRAP, bootstrap);
        if (credentials.secured()) {
            env.put(KafkaClientSettings.SECURITY_PROTOCOL, "SASL_SSL");
            env.put(KafkaClientSettings.TRUSTSTORE, truststore.toString());
            env.put(KafkaClientSettings.TRUSTSTORE_PASSWORD, credentials.storePassword());
            env.put(KafkaClientSettings.SASL_MECHANISM, "SCRAM-SHA-512");
            env.put(KafkaClientSettings.USERNAME, role.username());
            env.put(KafkaClientSettings.PASSWORD, credentials.password(role));
        } else {
            env.put(KafkaClientSettings.SECURITY_PROTOCOL, "PLAINTEXT");
        }
        return env;
    }

    /**
     * Writes {@code role}'s client properties to {@code file} (owner only), in the format of the console tools'
     * {@code --command-config} / {@code --consumer.config} and of {@code FLEET_KAFKA_CLIENT_PROPERTIES}.
     */
    public Path writeClientProperties(KafkaRole role, Path file) {
        Properties props = new Properties();
        clientProperties(role).forEach((k, v) -> props.setProperty(k, String.valueOf(v)));
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            try (var out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                props.store(out, "Kafka client properties of " + role.principal() + " for the WSL Fleet embedded broker");
            }
            Credentials.ownerOnly(file);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + file, e);
        }
    }

    /** The PKCS12 truststore holding the CA that signed the broker's certificate (a secured broker only). */
    public Path truststore() {
        return dir.resolve("truststore.p12");
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
