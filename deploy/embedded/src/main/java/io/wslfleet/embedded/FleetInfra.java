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

/**
 * The Kafka broker and PostgreSQL server the fleet runs on: embedded ones by default, external
 * ones when the environment names them.
 *
 * <ul>
 *   <li>{@code FLEET_KAFKA_BOOTSTRAP}: use this broker instead of starting one in-process;</li>
 *   <li>{@code FLEET_DB_URL}, {@code FLEET_DB_USER}, {@code FLEET_DB_PASSWORD}: use this database
 *       instead of starting PostgreSQL.</li>
 * </ul>
 *
 * Each part starts on first use. {@link #shared()} gives one instance per JVM (so a whole test
 * run shares one broker and one database), stopped by a shutdown hook. The fleet's topics are
 * created with {@link Topics#DEFAULT_PARTITIONS} partitions as soon as the broker is known.
 */
public final class FleetInfra implements AutoCloseable {

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
            String external = blankToNull(env.get("FLEET_KAFKA_BOOTSTRAP"));
            if (external != null) {
                kafkaBootstrap = external;
                createTopicsOn(external);
            } else {
                kafka = EmbeddedKafka.start(workDir.resolve("kafka"));
                kafka.createTopics(Topics.ALL, Topics.DEFAULT_PARTITIONS);
                kafkaBootstrap = kafka.bootstrapServers();
            }
        }
        return kafkaBootstrap;
    }

    private static void createTopicsOn(String bootstrap) {
        try (var admin = org.apache.kafka.clients.admin.Admin.create(Map.of("bootstrap.servers", bootstrap))) {
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
                database = EmbeddedDatabase.start(workDir.resolve("postgres"));
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

    /** Configuration that points a Quarkus application at this infrastructure, Dev Services off. */
    public Map<String, String> quarkusConfig() {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("kafka.bootstrap.servers", kafkaBootstrap());
        config.put("quarkus.datasource.jdbc.url", jdbcUrl());
        config.put("quarkus.datasource.username", dbUser());
        config.put("quarkus.datasource.password", dbPassword());
        config.put("quarkus.devservices.enabled", "false");
        config.put("quarkus.kafka.devservices.enabled", "false");
        config.put("quarkus.datasource.devservices.enabled", "false");
        return config;
    }

    /** The same settings as environment variables, for a child process (the packaged orchestrator). */
    public Map<String, String> environment() {
        Map<String, String> vars = new LinkedHashMap<>();
        vars.put("FLEET_KAFKA_BOOTSTRAP", kafkaBootstrap());
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
