package io.wslfleet.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * A real PostgreSQL server (the binaries of {@code io.zonky.test.postgres}, unpacked on first use)
 * on a free loopback port, with a {@code fleet} database owned by a {@code fleet} role.
 */
public final class EmbeddedDatabase implements AutoCloseable {

    public static final String DATABASE = "fleet";
    public static final String USER = "fleet";
    public static final String PASSWORD = "fleet";

    private final EmbeddedPostgres postgres;

    private EmbeddedDatabase(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    /** As the tests use it: fsync, synchronous commit and full-page writes off (fast, and lost on a crash). */
    public static EmbeddedDatabase start(Path dir) {
        return start(dir, false);
    }

    /**
     * With {@code durable}, as production runs PostgreSQL: fsync, synchronous commit and full-page writes on, so a
     * commit returns once its WAL is flushed to disk (what the benchmark measures ingest against).
     */
    public static EmbeddedDatabase start(Path dir, boolean durable) {
        String on = durable ? "on" : "off";
        try {
            Files.createDirectories(dir);
            EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                    .setDataDirectory(dir.resolve("pgdata"))
                    .setCleanDataDirectory(true)
                    .setServerConfig("max_connections", "200")
                    .setServerConfig("fsync", on)
                    .setServerConfig("synchronous_commit", on)
                    .setServerConfig("full_page_writes", on)
                    .setOutputRedirector(ProcessBuilder.Redirect.DISCARD)
                    .setErrorRedirector(ProcessBuilder.Redirect.DISCARD)
                    .start();
            try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
                s.execute("CREATE ROLE " + USER + " LOGIN PASSWORD '" + PASSWORD + "'");
                s.execute("CREATE DATABASE " + DATABASE + " OWNER " + USER);
            }
            return new EmbeddedDatabase(postgres);
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the embedded PostgreSQL server", e);
        } catch (SQLException e) {
            throw new IllegalStateException("could not create the fleet database", e);
        }
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/" + DATABASE;
    }

    public int port() {
        return postgres.getPort();
    }

    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
