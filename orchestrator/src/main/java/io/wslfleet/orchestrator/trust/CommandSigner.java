package io.wslfleet.orchestrator.trust;

import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.StartupEvent;
import io.wslfleet.orchestrator.FleetConfig;
import io.wslfleet.protocol.release.Ed25519;
import io.wslfleet.protocol.trust.Signer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The orchestrator's own key, which signs every record it publishes (commands, build requests). Configured as
 * {@code fleet.command-signing.key-id} + {@code fleet.command-signing.key} (base64 PKCS#8), or as {@code fleet.command-signing.key-file}: lines
 * {@code keyId=base64pkcs8}, the last one active. The file is looked at again at most once a second and re-read when
 * it changed, so a mounted secret rotates the key without a restart. Without a key the orchestrator refuses to start;
 * only in dev and test mode it makes one up (and says its public half).
 */
@ApplicationScoped
public class CommandSigner {
    private static final Logger LOG = Logger.getLogger(CommandSigner.class);
    private static final Duration LOOK_EVERY = Duration.ofSeconds(1);

    @Inject
    FleetConfig config;
    @Inject
    Clock clock;

    private volatile Signer active;
    private volatile FileTime loadedModified;
    private volatile long loadedSize = -1;
    private volatile Instant lookedAt = Instant.EPOCH;
    private Path file;
    /** The key pair made up in dev or test mode, when no key was configured. */
    private KeyPair generated;

    void onStart(@Observes StartupEvent event) {
        init();
    }

    synchronized void init() {
        if (active != null) {
            return;
        }
        FleetConfig.Signing signing = config.signing();
        Optional<String> keyFile = signing.keyFile().filter(f -> !f.isBlank());
        if (keyFile.isPresent()) {
            file = Path.of(keyFile.get());
            Signer loaded = readFile();
            if (loaded == null) {
                throw new IllegalStateException("fleet.command-signing.key-file (FLEET_ORCHESTRATOR_KEY_FILE) " + file
                        + " holds no usable key: lines keyId=base64pkcs8, the last one active");
            }
            active = loaded;
        } else if (signing.key().filter(k -> !k.isBlank()).isPresent()) {
            String keyId = signing.keyId().filter(k -> !k.isBlank()).orElseThrow(() -> new IllegalStateException(
                    "fleet.command-signing.key is set but fleet.command-signing.key-id (FLEET_ORCHESTRATOR_KEY_ID) is not"));
            active = Signer.of(keyId, signing.key().get().trim());
        } else if (LaunchMode.current() != LaunchMode.NORMAL) {
            generated = Ed25519.generate();
            active = new Signer("orchestrator-" + LaunchMode.current().getDefaultProfile(), generated.getPrivate());
            LOG.warnf("no orchestrator signing key configured: generated key %s for this %s run; trust it with "
                    + "FLEET_TRUST_ORCHESTRATOR_KEYS=%s=%s", active.keyId(), LaunchMode.current(), active.keyId(),
                    Ed25519.encode(generated.getPublic()));
        } else {
            throw new IllegalStateException("no orchestrator signing key: set FLEET_ORCHESTRATOR_KEY_ID and "
                    + "FLEET_ORCHESTRATOR_KEY (base64 PKCS#8 Ed25519), or FLEET_ORCHESTRATOR_KEY_FILE (lines "
                    + "keyId=base64pkcs8, the last one active); agents and build workers obey only signed records");
        }
        LOG.infof("signing commands and build requests with key %s", active.keyId());
    }

    /** The key to sign with now: the key file's last line as of at most a second ago. */
    public Signer current() {
        if (active == null) {
            init();
        }
        if (file != null) {
            Instant now = clock.instant();
            if (!now.isBefore(lookedAt.plus(LOOK_EVERY))) {
                lookedAt = now;
                reloadIfChanged();
            }
        }
        return active;
    }

    /** The public half of the key made up for this dev or test run, if one was. */
    public Optional<KeyPair> generated() {
        return Optional.ofNullable(generated);
    }

    private synchronized void reloadIfChanged() {
        try {
            FileTime modified = Files.getLastModifiedTime(file);
            long size = Files.size(file);
            if (modified.equals(loadedModified) && size == loadedSize) {
                return;
            }
        } catch (IOException e) {
            LOG.warnf("cannot look at the key file %s (%s); still signing with %s", file, e.getMessage(),
                    active.keyId());
            return;
        }
        Signer loaded = readFile();
        if (loaded == null) {
            LOG.errorf("the key file %s holds no usable key now; still signing with %s", file, active.keyId());
        } else if (!loaded.keyId().equals(active.keyId())) {
            LOG.infof("signing key rotated: %s -> %s", active.keyId(), loaded.keyId());
            active = loaded;
        }
    }

    /** The last usable {@code keyId=base64pkcs8} line of the key file, or null; remembers what it read. */
    private Signer readFile() {
        try {
            FileTime modified = Files.getLastModifiedTime(file);
            long size = Files.size(file);
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            Signer last = null;
            for (String line : lines) {
                String entry = line.trim();
                if (entry.isEmpty() || entry.startsWith("#")) {
                    continue;
                }
                int eq = entry.indexOf('=');
                if (eq <= 0) {
                    LOG.warnf("ignoring a line of %s that is not keyId=base64pkcs8", file);
                    continue;
                }
                try {
                    last = Signer.of(entry.substring(0, eq), entry.substring(eq + 1));
                } catch (IllegalArgumentException e) {
                    LOG.warnf("ignoring the key %s of %s: %s", entry.substring(0, eq), file, e.getMessage());
                }
            }
            loadedModified = modified;
            loadedSize = size;
            return last;
        } catch (IOException e) {
            LOG.warnf("cannot read the key file %s: %s", file, e.getMessage());
            return null;
        }
    }
}
