package io.wslfleet.buildworker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.zip.CRC32;

import org.junit.jupiter.api.Test;

class Crc32MathTest {

    private static long crc(byte[] data, int from, int to) {
        CRC32 c = new CRC32();
        c.update(data, from, to - from);
        return c.getValue();
    }

    @Test
    void theCrcOfAConcatenationAndOfASuffixFollowFromThePartsAsJavaUtilZipComputesThem() {
        Random random = new Random(16);
        for (int length : new int[] {0, 1, 7, 512, 70_000}) {
            byte[] data = new byte[length + 300];
            random.nextBytes(data);
            int cut = 300;
            long whole = crc(data, 0, data.length);
            long a = crc(data, 0, cut);
            long b = crc(data, cut, data.length);
            assertThat(Crc32Math.combine(a, b, data.length - cut)).as("combine %d", length).isEqualTo(whole);
            assertThat(Crc32Math.suffix(whole, a, data.length - cut)).as("suffix %d", length).isEqualTo(b);
        }
        // lengths past 4 GiB: the shift is by the true length, not the length mod 2^32
        assertThat(Crc32Math.shift(1L << 32)).isNotEqualTo(Crc32Math.shift(0));
    }
}
