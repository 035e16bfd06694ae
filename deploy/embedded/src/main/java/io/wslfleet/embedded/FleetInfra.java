package io.wslfleet.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

import io.wslfleet.protocol.Topics;
import io.wslfleet.protocol.kafka.KafkaClientSettings;

/**
 * The Kafka broker and PostgreSQL server the fleet runs on: embedded ones by default, external
 * ones when the environment names them.
 *
 * <ul>
 *   <li>{@code FLEET_KAFKA_BOOTSTRAP}: use this broker instead of starting one in-process, connecting with the
 *       {@code FLEET_KAFKA_*} security settings of {@link KafkaClientSettings} (the same for every role: an external
 *       broker's principals are its operator's business);</li>
 *   <li>{@code FLEET_KAFKA_SECURITY_PROTOCOL=PLAINTEXT} without a bootstrap: the embedded broker without TLS,
 *       authentication or ACLs (an explicit opt-out; by default it is SASL_SSL with a principal per
 *       {@link KafkaRole}, see {@link EmbeddedKafka});</li>
 *   <li>{@code FLEET_DB_URL}, {@code FLEET_DB_USER}, {@code FLEET_DB_PASSWORD}: use this database
 *       instead of starting PostgreSQL;</li>
 *   <li>{@code FLEET_EMBEDDED_DB_DURABLE=true}: the embedded PostgreSQL with fsync and synchronous commit on (off by
 *       default: tests need no durability).</li>
 * </ul>
 *
 * Each part starts on first use. {@link #shared()} gives one instance per JVM (so a whole test
 * run shares one broker and one database), stopped by a shutdown hook. The fleet's topics are
 * created with {@link Topics#DEFAULT_PARTITIONS} partitions as soon as the broker is known.
 *
 * <p>Clients get the properties of their role from {@link #kafkaClientProperties(KafkaRole)} (or
 * {@link #kafkaEnvironment(KafkaRole)} for a program configured by environment), so tests run through the ACLs a
 * production deployment has.
 */
public final class FleetInfra implements AutoCloseable {

    /** {@code true}: the embedded PostgreSQL commits durably (fsync, synchronous commit), as production does. */
    public static final String DURABLE_DATABASE = "FLEET_EMBEDDED_DB_DURABLE";

    private static FleetInfra shared;

    private final Path workDir;
    private final Map<String, String> env;
    private EmbeddedKafka kafka;
    private String kafkaBootstrap;
    private EmbeddedDatabase database;
    private String jdbcUrl;

    private FleetInfra(Path workDir, Map<String, String> env) {
        this.workDir = workDir;
        this.env = env;
    }

    /** The JVM-wide instance, created on first call and closed when the JVM exits. */
    public static synchronized FleetInfra shared() {
        if (shared == null) {
            try {
                Path dir = Files.createTempDirectory("wsl-fleet-infra-");
                FleetInfra infra = new FleetInfra(dir, System.getenv());
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    infra.close();
                    deleteTree(dir);
                }, "fleet-infra-shutdown"));
                shared = infra;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return shared;
    }

    /** A separate instance keeping its state under {@code workDir}; the caller closes it. */
    public static FleetInfra create(Path workDir, Map<String, String> env) {
        return new FleetInfra(workDir, env);
    }

    public synchronized String kafkaBootstrap() {
        if (kafkaBootstrap == null) {
            String external = blankToNull(env.get(KafkaClientSettings.BOOTSTRAP));
            if (external != null) {
                kafkaBootstrap = external;
                createTopicsOn(external, KafkaClientSettings.security(env));
            } else {
                kafka = EmbeddedKafka.start(workDir.resolve("kafka"), embeddedSecurity());
                kafka.createTopics(Topics.ALL, Topics.DEFAULT_PARTITIONS);
                kafkaBootstrap = kafka.bootstrapServers();
            }
        }
        return kafkaBootstrap;
    }

    private EmbeddedKafka.Security embeddedSecurity() {
        String protocol = blankToNull(env.get(KafkaClientSettings.SECURITY_PROTOCOL));
        return protocol != null && protocol.trim().equalsIgnoreCase("PLAINTEXT")
                ? EmbeddedKafka.Security.PLAINTEXT : EmbeddedKafka.Security.SASL_SSL;
    }

    /** The client properties (bootstrap servers included) of a program in {@code role}. A new, modifiable map. */
    public synchronized Map<String, Object> kafkaClientProperties(KafkaRole role) {
        String bootstrap = kafkaBootstrap();
        if (kafka != null) {
            return kafka.clientProperties(role);
        }
        return KafkaClientSettings.forClient(KafkaClientSettings.security(env), bootstrap, Map.of());
    }

    /** The {@code FLEET_KAFKA_*} variables ({@link KafkaClientSettings}) of a program in {@code role}. */
    public synchronized Map<String, String> kafkaEnvironment(KafkaRole role) {
        String bootstrap = kafkaBootstrap();
        if (kafka != null) {
            return kafka.clientEnvironment(role);
        }
        Map<String, String> vars = new LinkedHashMap<>();
        KafkaClientSettings.VARIABLES.stream().sorted().filter(v -> blankToNull(env.get(v)) != null)
                .forEach(v -> vars.put(v, env.get(v)));
        vars.put(KafkaClientSettings.BOOTSTRAP, bootstrap);
        return vars;
    }

    /**
     * Writes the client properties of {@code role} to {@code file} (owner only), for Kafka's console tools
     * ({@code --command-config}, {@code --consumer.config}) or {@code FLEET_KAFKA_CLIENT_PROPERTIES}.
     */
    public synchronized Path writeKafkaClientProperties(KafkaRole role, Path file) {
        kafkaBootstrap();
        if (kafka != null) {
            return kafka.writeClientProperties(role, file);
        }
        java.util.Properties props = new java.util.Properties();
        kafkaClientProperties(role).forEach((k, v) -> props.setProperty(k, String.valueOf(v)));
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            try (var out = Files.newBufferedWriter(file)) {
                props.store(out, "Kafka client properties for " + kafkaBootstrap);
            }
            Credentials.ownerOnly(file);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + file, e);
        }
    }

    /** The embedded broker, or null when the broker is external (or not started yet). */
    public synchronized EmbeddedKafka embeddedKafka() {
        return kafka;
    }

    private static void createTopicsOn(String bootstrap, Map<String, Object> security) {
        try (var admin = org.apache.kafka.clients.admin.Admin.create(
                KafkaClientSettings.forClient(security, bootstrap, Map.of()))) {
            var existing = admin.listTopics().names().get();
            var missing = Topics.ALL.stream().filter(t -> !existing.contains(t))
                    .map(t -> new org.apache.kafka.clients.admin.NewTopic(t, java.util.Optional.of(Topics.DEFAULT_PARTITIONS), java.util.Optional.empty()))
                    .toList();
            if (!missing.isEmpty()) {
                admin.createTopics(missing).all().get();
            }
        } catch (Exception e) {
            throw new IllegalStateException("could not create the fleet topics on " + bootstrap, e);
        }
    }

    public synchronized String jdbcUrl() {
        if (jdbcUrl == null) {
            String external = blankToNull(env.get("FLEET_DB_URL"));
            if (external != null) {
                jdbcUrl = external;
            } else {
                database = EmbeddedDatabase.start(workDir.resolve("postgres"),
                        "true".equalsIgnoreCase(env.get(DURABLE_DATABASE)));
                jdbcUrl = database.jdbcUrl();
            }
        }
        return jdbcUrl;
    }

    public String dbUser() {
        return database != null || blankToNull(env.get("FLEET_DB_URL")) == null
                ? EmbeddedDatabase.USER : env.getOrDefault("FLEET_DB_USER", EmbeddedDatabase.USER);
    }

    public String dbPassword() {
        return database != null || blankToNull(env.get("FLEET_DB_URL")) == null
                ? EmbeddedDatabase.PASSWORD : env.getOrDefault("FLEET_DB_PASSWORD", "");
    }

    /**
     * Configuration that points a Quarkus application at this infrastructure as the orchestrator's principal
     * ({@code kafka.*} applies to every channel and the health check), Dev Services off.
     */
    public Map<String, String> quarkusConfig() {
        Map<String, String> config = new LinkedHashMap<>();
        kafkaClientProperties(KafkaRole.ORCHESTRATOR).forEach((k, v) -> config.put("kafka." + k, String.valueOf(v)));
        config.put("quarkus.datasource.jdbc.url", jdbcUrl());
        config.put("quarkus.datasource.username", dbUser());
        config.put("quarkus.datasource.password", dbPassword());
        config.put("quarkus.devservices.enabled", "false");
        config.put("quarkus.kafka.devservices.enabled", "false");
        config.put("quarkus.datasource.devservices.enabled", "false");
        return config;
    }

    /** The same settings as environment variables, for a child process (the packaged orchestrator, its principal). */
    public Map<String, String> environment() {
        Map<String, String> vars = new LinkedHashMap<>();
        vars.putAll(kafkaEnvironment(KafkaRole.ORCHESTRATOR));
        vars.put("FLEET_DB_URL", jdbcUrl());
        vars.put("FLEET_DB_USER", dbUser());
        vars.put("FLEET_DB_PASSWORD", dbPassword());
        return vars;
    }

    @Override
    public synchronized void close() {
        RuntimeException failure = null;
        if (kafka != null) {
            try {
                kafka.close();
            } catch (RuntimeException e) {
                failure = e;
            }
            kafka = null;
        }
        if (database != null) {
            try {
                database.close();
            } catch (RuntimeException e) {
                failure = failure == null ? e : failure;
            }
            database = null;
        }
        kafkaBootstrap = null;
        jdbcUrl = null;
        if (failure != null) {
            throw failure;
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort on the way out
        }
    }
}
