package io.wslfleet.buildworker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.GZIPInputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The block-parallel gzip is plain gzip to the JDK and to GNU gzip, and the same input gives the same bytes. */
class ParallelGzipTest {

    @TempDir
    Path tmp;

    private static byte[] data(int size, long seed) {
        byte[] b = new byte[size];
        Random r = new Random(seed);
        for (int i = 0; i < size; i++) {
            b[i] = (i / 4096) % 2 == 0 ? (byte) r.nextInt() : (byte) ("nixos-wsl ".charAt(i % 10));
        }
        return b;
    }

    private static byte[] gzip(byte[] input) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (var gz = new ParallelGzipOutputStream(out, 6)) {
            // uneven writes, as a tar stream does them
            int off = 0;
            int step = 1;
            while (off < input.length) {
                int n = Math.min(step, input.length - off);
                gz.write(input, off, n);
                off += n;
                step = step * 3 % 70_001 + 1;
            }
        }
        return out.toByteArray();
    }

    @Test
    void roundTripsThroughTheJdkAndGnuGzipAtBlockBoundaries() throws Exception {
        int block = ParallelGzipOutputStream.BLOCK;
        for (int size : new int[] {0, 1, block - 1, block, block + 1, 5 * block + block / 2}) {
            byte[] input = data(size, size);
            byte[] compressed = gzip(input);
            try (var in = new GZIPInputStream(new ByteArrayInputStream(compressed))) {
                assertThat(in.readAllBytes()).as("JDK, size " + size).isEqualTo(input);
            }
            Path file = tmp.resolve("t" + size + ".gz");
            Files.write(file, compressed);
            Process p = new ProcessBuilder("gzip", "-dc", file.toString()).start();
            byte[] gnu = p.getInputStream().readAllBytes();
            assertThat(p.waitFor()).as("gzip -dc exit, size " + size).isZero();
            assertThat(gnu).as("GNU gzip, size " + size).isEqualTo(input);
            assertThat(compressed).as("same input, same bytes").isEqualTo(gzip(input));
        }
    }
}
