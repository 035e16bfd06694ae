package io.wslfleet.protocol.release;

import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.util.Base64;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The fast signing and verifying agree with the JDK's own Ed25519, both ways, and refuse what it refuses. */
class Ed25519Test {
    private static final Random RANDOM = new Random(42);

    @RepeatedTest(20)
    void signaturesOfEachVerifyWithTheOther() {
        KeyPair pair = Ed25519.generate();
        byte[] message = new byte[RANDOM.nextInt(2_000)];
        RANDOM.nextBytes(message);
        String fast = Ed25519.sign(pair.getPrivate(), message);
        String jdk = Ed25519.signWithJdk(pair.getPrivate(), message);
        assertThat(fast).isEqualTo(jdk); // Ed25519 signatures are deterministic
        assertThat(Ed25519.verify(pair.getPublic(), message, jdk)).isTrue();
        assertThat(Ed25519.verifyWithJdk(pair.getPublic(), message, fast)).isTrue();
    }

    @Test
    void aChangedMessageSignatureOrKeyIsRefusedByBoth() {
        KeyPair pair = Ed25519.generate();
        byte[] message = "the record".getBytes(StandardCharsets.UTF_8);
        String signature = Ed25519.sign(pair.getPrivate(), message);
        byte[] other = "the recorD".getBytes(StandardCharsets.UTF_8);
        byte[] bad = Base64.getDecoder().decode(signature);
        bad[5] ^= 1;
        String flipped = Base64.getEncoder().encodeToString(bad);
        KeyPair stranger = Ed25519.generate();
        for (var check : new boolean[][] {
                {Ed25519.verify(pair.getPublic(), other, signature), Ed25519.verifyWithJdk(pair.getPublic(), other, signature)},
                {Ed25519.verify(pair.getPublic(), message, flipped), Ed25519.verifyWithJdk(pair.getPublic(), message, flipped)},
                {Ed25519.verify(stranger.getPublic(), message, signature),
                        Ed25519.verifyWithJdk(stranger.getPublic(), message, signature)}}) {
            assertThat(check).containsExactly(false, false);
        }
        assertThat(Ed25519.verify(pair.getPublic(), message, "not base64!")).isFalse();
        assertThat(Ed25519.verify(pair.getPublic(), message, Base64.getEncoder().encodeToString(new byte[63]))).isFalse();
        assertThat(Ed25519.verify(pair.getPublic(), message, "")).isFalse();
    }

    @Test
    void keysTravelAsBeforeAndRoundTrip() {
        KeyPair pair = Ed25519.generate();
        var publicKey = Ed25519.publicKey(Ed25519.encode(pair.getPublic()));
        var privateKey = Ed25519.privateKey(Ed25519.encode(pair.getPrivate()));
        byte[] message = {1, 2, 3};
        assertThat(Ed25519.verify(publicKey, message, Ed25519.sign(privateKey, message))).isTrue();
    }
}
