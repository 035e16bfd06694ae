package io.wslfleet.embedded;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A certificate authority and a broker certificate signed by it (EC P-256, valid for 127.0.0.1 and localhost), made
 * with the JDK's {@code keytool} in the broker's directory: {@code broker.p12} (the broker's key and chain) and
 * {@code truststore.p12} (the CA, for clients). The CA's key stays in {@code ca.p12} beside them.
 */
record BrokerCertificates(Path keystore, Path truststore, String password) {

    static final String STORE_TYPE = "PKCS12";

    /** The stores already in {@code dir}, or new ones when there are none. */
    static BrokerCertificates in(Path dir, String password) {
        var certificates = new BrokerCertificates(dir.resolve("broker.p12"), dir.resolve("truststore.p12"), password);
        if (!Files.isRegularFile(certificates.keystore) || !Files.isRegularFile(certificates.truststore)) {
            certificates.generate(dir);
        }
        return certificates;
    }

    private void generate(Path dir) {
        Path ca = dir.resolve("ca.p12");
        Path csr = dir.resolve("broker.csr");
        Path signed = dir.resolve("broker.crt");
        try {
            for (Path p : List.of(ca, keystore, truststore, csr, signed)) {
                Files.deleteIfExists(p);
            }
            Process caKey = keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1",
                    "-dname", "CN=WSL Fleet embedded Kafka CA", "-ext", "bc:c", "-validity", "3650",
                    "-keystore", ca.toString(), "-storetype", STORE_TYPE, "-storepass", password);
            Process brokerKey = keytool("-genkeypair", "-alias", "broker", "-keyalg", "EC", "-groupname", "secp256r1",
                    "-dname", "CN=localhost", "-validity", "3650",
                    "-keystore", keystore.toString(), "-storetype", STORE_TYPE, "-storepass", password);
            await(caKey);
            await(brokerKey);
            await(keytool("-certreq", "-alias", "broker", "-keystore", keystore.toString(), "-storepass", password,
                    "-file", csr.toString()));
            await(keytool("-gencert", "-alias", "ca", "-keystore", ca.toString(), "-storepass", password,
                    "-infile", csr.toString(), "-outfile", signed.toString(), "-rfc", "-validity", "3650",
                    "-ext", "san=ip:127.0.0.1,dns:localhost", "-ext", "eku=serverAuth,clientAuth"));

            KeyStore caStore = load(ca);
            Certificate caCert = caStore.getCertificate("ca");
            KeyStore trust = KeyStore.getInstance(STORE_TYPE);
            trust.load(null, null);
            trust.setCertificateEntry("ca", caCert);
            store(trust, truststore);

            KeyStore broker = load(keystore);
            Key key = broker.getKey("broker", password.toCharArray());
            List<Certificate> chain = new ArrayList<>();
            try (InputStream in = Files.newInputStream(signed)) {
                chain.addAll(CertificateFactory.getInstance("X.509").generateCertificates(in));
            }
            chain.add(caCert);
            broker.setKeyEntry("broker", key, password.toCharArray(), chain.toArray(Certificate[]::new));
            store(broker, keystore);
            Files.delete(csr);
        } catch (IOException e) {
            throw new UncheckedIOException("could not make the embedded broker's certificates in " + dir, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("could not make the embedded broker's certificates in " + dir, e);
        }
    }

    private KeyStore load(Path file) throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance(STORE_TYPE);
        try (InputStream in = Files.newInputStream(file)) {
            store.load(in, password.toCharArray());
        }
        return store;
    }

    private void store(KeyStore store, Path file) throws IOException, GeneralSecurityException {
        try (OutputStream out = Files.newOutputStream(file)) {
            store.store(out, password.toCharArray());
        }
    }

    private static Process keytool(String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.add("-J-XX:TieredStopAtLevel=1");
        command.addAll(List.of(args));
        command.add("-noprompt");
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    private static void await(Process process) throws IOException {
        try {
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IOException("keytool failed: " + new String(output, StandardCharsets.UTF_8));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IOException("interrupted while keytool ran", e);
        }
    }
}
