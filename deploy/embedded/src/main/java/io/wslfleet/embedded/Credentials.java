package io.wslfleet.embedded;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Properties;

/**
 * The embedded broker's secrets, made at its first start and kept in its directory (owner only) so that a restart on
 * the same data finds the principals it formatted: a password per {@link KafkaRole}, the broker's own (controller
 * and inter-broker listeners), the key stores' password, and the inter-broker listener's port.
 */
final class Credentials {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Properties values;

    private Credentials(Properties values) {
        this.values = values;
    }

    static Credentials create(Path file, EmbeddedKafka.Security security) throws IOException {
        Properties p = new Properties();
        p.setProperty("security", security.name());
        if (security == EmbeddedKafka.Security.SASL_SSL) {
            p.setProperty("store.password", secret());
            p.setProperty("broker.password", secret());
            p.setProperty("internal.port", String.valueOf(EmbeddedKafka.freePort()));
            for (KafkaRole role : KafkaRole.values()) {
                p.setProperty("password." + role.username(), secret());
            }
        }
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            p.store(out, "WSL Fleet embedded broker secrets");
        }
        ownerOnly(file);
        return new Credentials(p);
    }

    static Credentials read(Path file) {
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Credentials(p);
    }

    boolean secured() {
        return EmbeddedKafka.Security.SASL_SSL.name().equals(values.getProperty("security"));
    }

    String password(KafkaRole role) {
        return values.getProperty("password." + role.username());
    }

    String brokerPassword() {
        return values.getProperty("broker.password");
    }

    String storePassword() {
        return values.getProperty("store.password");
    }

    int internalPort() {
        return Integer.parseInt(values.getProperty("internal.port"));
    }

    static void ownerOnly(Path file) throws IOException {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system (Windows): the directory's ACL applies
        }
    }

    /** 144 random bits, base64url: no character that a JAAS line or {@code --add-scram} would need quoted. */
    private static String secret() {
        byte[] bytes = new byte[18];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
