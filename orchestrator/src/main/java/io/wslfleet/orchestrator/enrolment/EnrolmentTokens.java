package io.wslfleet.orchestrator.enrolment;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Makes and redeems enrolment tokens. A token reads {@code <id>.<secret>}: the id finds the row, the secret is
 * compared by its SHA-256 in constant time, and a redemption counts a use under the row's lock, so concurrent
 * registrations never use a token more often than it allows.
 */
@ApplicationScoped
public class EnrolmentTokens {
    private static final Pattern TOKEN = Pattern.compile("(et-[0-9a-f]{16})\\.([A-Za-z0-9_-]{43})");
    private static final SecureRandom RANDOM = new SecureRandom();

    @Inject
    Clock clock;

    /** A new token and, once only, its full text. */
    public record Made(EnrolmentToken token, String text) {
    }

    @Transactional(Transactional.TxType.MANDATORY)
    public Made make(Instant expiresAt, int maxUses, String ring, Map<String, String> labels, String actor) {
        byte[] idBytes = new byte[8];
        byte[] secret = new byte[32];
        RANDOM.nextBytes(idBytes);
        RANDOM.nextBytes(secret);
        String secretText = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        EnrolmentToken t = new EnrolmentToken();
        t.id = "et-" + HexFormat.of().formatHex(idBytes);
        t.secretSha256 = sha256Hex(secretText);
        t.expiresAt = expiresAt;
        t.maxUses = maxUses;
        t.ring = ring;
        t.labels = labels == null ? Map.of() : new TreeMap<>(labels);
        t.createdBy = actor;
        t.createdAt = clock.instant();
        t.persist();
        return new Made(t, t.id + "." + secretText);
    }

    /** What presenting a token came to. */
    public sealed interface Redemption {
        record Admitted(EnrolmentToken token) implements Redemption {
        }

        /** @param tokenId the token named, when the text named one */
        record Refused(String tokenId, String why) implements Redemption {
        }
    }

    /** Counts a use of the token when it is valid now; a refusal changes nothing. */
    @Transactional(Transactional.TxType.MANDATORY)
    public Redemption redeem(String text) {
        var m = TOKEN.matcher(text == null ? "" : text);
        if (!m.matches()) {
            return new Redemption.Refused(null, "not an enrolment token (et-<16 hex>.<43 base64url>)");
        }
        String id = m.group(1);
        EnrolmentToken t = EnrolmentToken.findById(id, LockModeType.PESSIMISTIC_WRITE);
        if (t == null) {
            return new Redemption.Refused(id, "no such token");
        }
        byte[] expected = t.secretSha256.getBytes(StandardCharsets.US_ASCII);
        byte[] given = sha256Hex(m.group(2)).getBytes(StandardCharsets.US_ASCII);
        if (!MessageDigest.isEqual(expected, given)) {
            return new Redemption.Refused(id, "wrong secret");
        }
        String unusable = t.unusableAt(clock.instant());
        if (unusable != null) {
            return new Redemption.Refused(id, unusable);
        }
        t.uses++;
        return new Redemption.Admitted(t);
    }

    /** The token's labels in key order. */
    public static Map<String, String> labelsOf(EnrolmentToken t) {
        return new TreeMap<>(t.labels);
    }

    /** The labels a token grants a machine: its labels plus its ring as the label {@code ring}. */
    public static Map<String, String> grantOf(EnrolmentToken t) {
        Map<String, String> grant = new TreeMap<>(labelsOf(t));
        if (t.ring != null) {
            grant.put("ring", t.ring);
        }
        return grant;
    }

    static String sha256Hex(String secret) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    Instant now() {
        return clock.instant();
    }
}
