package io.wslfleet.protocol.kafka;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * How every fleet program (orchestrator, build worker, agent, sandbox) connects to Kafka, from environment variables:
 *
 * <table>
 *   <caption>Kafka client variables</caption>
 *   <tr><td>{@code FLEET_KAFKA_BOOTSTRAP}</td><td>broker list (read by each program itself)</td></tr>
 *   <tr><td>{@code FLEET_KAFKA_CLIENT_PROPERTIES}</td><td>a Kafka client-properties file, the format of the console
 *       tools' {@code --command-config}; applied first, every variable below overrides it</td></tr>
 *   <tr><td>{@code FLEET_KAFKA_SECURITY_PROTOCOL}</td><td>{@code PLAINTEXT}, {@code SSL} or {@code SASL_SSL}; when
 *       unset: {@code SASL_SSL} if a user name is given, {@code SSL} if a trust- or keystore is, else the file's or
 *       Kafka's default ({@code PLAINTEXT})</td></tr>
 *   <tr><td>{@code FLEET_KAFKA_TRUSTSTORE}, {@code _PASSWORD}</td><td>the CA(s) the broker's certificate is checked
 *       against (PKCS12 for {@code .p12}/{@code .pfx}, PEM for {@code .pem}/{@code .crt}, else JKS)</td></tr>
 *   <tr><td>{@code FLEET_KAFKA_KEYSTORE}, {@code _PASSWORD}</td><td>a client certificate (mTLS), e.g. one the company
 *       PKI issued to the machine</td></tr>
 *   <tr><td>{@code FLEET_KAFKA_SASL_MECHANISM}</td><td>{@code SCRAM-SHA-512} (the default) or {@code SCRAM-SHA-256}</td></tr>
 *   <tr><td>{@code FLEET_KAFKA_USERNAME}, {@code FLEET_KAFKA_PASSWORD}</td><td>the SASL principal of this program's
 *       role</td></tr>
 * </table>
 *
 * {@link #security(Map)} turns them into Kafka client properties; {@link #forClient} adds a program's own settings.
 */
public final class KafkaClientSettings {

    public static final String BOOTSTRAP = "FLEET_KAFKA_BOOTSTRAP";
    public static final String CLIENT_PROPERTIES = "FLEET_KAFKA_CLIENT_PROPERTIES";
    public static final String SECURITY_PROTOCOL = "FLEET_KAFKA_SECURITY_PROTOCOL";
    public static final String TRUSTSTORE = "FLEET_KAFKA_TRUSTSTORE";
    public static final String TRUSTSTORE_PASSWORD = "FLEET_KAFKA_TRUSTSTORE_PASSWORD";
    public static final String KEYSTORE = "FLEET_KAFKA_KEYSTORE";
    public static final String KEYSTORE_PASSWORD = "FLEET_KAFKA_KEYSTORE_PASSWORD";
    public static final String SASL_MECHANISM = "FLEET_KAFKA_SASL_MECHANISM";
    public static final String USERNAME = "FLEET_KAFKA_USERNAME";
    public static final String PASSWORD = "FLEET_KAFKA_PASSWORD";

    /** Every variable of the convention, {@link #BOOTSTRAP} included. */
    public static final Set<String> VARIABLES = Set.of(BOOTSTRAP, CLIENT_PROPERTIES, SECURITY_PROTOCOL, TRUSTSTORE,
            TRUSTSTORE_PASSWORD, KEYSTORE, KEYSTORE_PASSWORD, SASL_MECHANISM, USERNAME, PASSWORD);

    public static final String DEFAULT_SASL_MECHANISM = "SCRAM-SHA-512";

    private static final Set<String> PROTOCOLS = Set.of("PLAINTEXT", "SSL", "SASL_SSL", "SASL_PLAINTEXT");
    private static final Set<String> SCRAM = Set.of("SCRAM-SHA-512", "SCRAM-SHA-256");

    private KafkaClientSettings() {
    }

    /**
     * The connection and security properties the variables in {@code env} describe (no bootstrap servers unless the
     * properties file names them): the file's entries, then the variables' over them.
     *
     * @throws IllegalArgumentException for an unknown protocol or mechanism, or a password without a user name
     */
    public static Map<String, Object> security(Map<String, String> env) {
        Map<String, Object> props = new LinkedHashMap<>();
        String file = value(env, CLIENT_PROPERTIES);
        if (file != null) {
            props.putAll(readProperties(Path.of(file)));
        }
        String user = value(env, USERNAME);
        String password = value(env, PASSWORD);
        String truststore = value(env, TRUSTSTORE);
        String keystore = value(env, KEYSTORE);

        String protocol = value(env, SECURITY_PROTOCOL);
        if (protocol == null) {
            protocol = user != null ? "SASL_SSL" : truststore != null || keystore != null ? "SSL" : null;
        }
        if (protocol != null) {
            protocol = protocol.toUpperCase(Locale.ROOT);
            if (!PROTOCOLS.contains(protocol)) {
                throw new IllegalArgumentException(SECURITY_PROTOCOL + " must be PLAINTEXT, SSL or SASL_SSL, not " + protocol);
            }
            props.put("security.protocol", protocol);
        }
        if (truststore != null) {
            props.put("ssl.truststore.location", truststore);
            putIfPresent(props, "ssl.truststore.type", storeType(truststore));
            putIfPresent(props, "ssl.truststore.password", value(env, TRUSTSTORE_PASSWORD));
        }
        if (keystore != null) {
            props.put("ssl.keystore.location", keystore);
            putIfPresent(props, "ssl.keystore.type", storeType(keystore));
            String keystorePassword = value(env, KEYSTORE_PASSWORD);
            putIfPresent(props, "ssl.keystore.password", keystorePassword);
            if (keystorePassword != null && !props.containsKey("ssl.key.password") && !"PEM".equals(storeType(keystore))) {
                props.put("ssl.key.password", keystorePassword); // keytool and openssl PKCS12 use one password
            }
        }
        String mechanism = value(env, SASL_MECHANISM);
        if (user != null || mechanism != null) {
            mechanism = mechanism == null ? DEFAULT_SASL_MECHANISM : mechanism.toUpperCase(Locale.ROOT);
            if (!SCRAM.contains(mechanism)) {
                throw new IllegalArgumentException(SASL_MECHANISM + " must be SCRAM-SHA-512 or SCRAM-SHA-256, not " + mechanism);
            }
            props.put("sasl.mechanism", mechanism);
        }
        if (password != null && user == null) {
            throw new IllegalArgumentException(PASSWORD + " is set but " + USERNAME + " is not");
        }
        if (user != null) {
            props.put("sasl.jaas.config", scramJaasConfig(user, password == null ? "" : password));
        }
        return props;
    }

    /**
     * The properties of one client: {@code security}, then the program's own {@code settings} (serializers, group,
     * acknowledgements: what the program's correctness depends on wins over a properties file), then the bootstrap.
     */
    public static Map<String, Object> forClient(Map<String, ?> security, String bootstrap, Map<String, ?> settings) {
        Map<String, Object> props = new LinkedHashMap<>(security);
        props.putAll(settings);
        props.put("bootstrap.servers", bootstrap);
        return props;
    }

    /** The JAAS line a SCRAM client logs in with. */
    public static String scramJaasConfig(String user, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + quoted(user)
                + "\" password=\"" + quoted(password) + "\";";
    }

    /** A client-properties file as Kafka's tools read it ({@link Properties} syntax). */
    public static Map<String, String> readProperties(Path file) {
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the Kafka client properties " + file
                    + " (" + CLIENT_PROPERTIES + ")", e);
        }
        Map<String, String> props = new LinkedHashMap<>();
        p.stringPropertyNames().stream().sorted().forEach(k -> props.put(k, p.getProperty(k).trim()));
        return props;
    }

    private static String storeType(String location) {
        String name = location.toLowerCase(Locale.ROOT);
        if (name.endsWith(".p12") || name.endsWith(".pfx")) {
            return "PKCS12";
        }
        if (name.endsWith(".pem") || name.endsWith(".crt")) {
            return "PEM";
        }
        return null; // Kafka's default (JKS; the JDK reads PKCS12 through it too)
    }

    private static String quoted(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    private static void putIfPresent(Map<String, Object> props, String key, String value) {
        if (value != null) {
            props.put(key, value);
        }
    }

    private static String value(Map<String, String> env, String name) {
        String v = env.get(name);
        return v == null || v.isBlank() ? null : v.trim();
    }
}
