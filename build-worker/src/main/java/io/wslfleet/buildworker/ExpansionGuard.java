package io.wslfleet.buildworker;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.LongSupplier;

/**
 * Sits between a gzip decompressor and the tar reader and counts what comes out: more than
 * {@link ArchiveInspector.Limits#maxUncompressedBytes()} bytes, or more than
 * {@link ArchiveInspector.Limits#maxExpansionRatio()} times the compressed bytes read so far (once past 1 MiB), and
 * the read fails with an {@link InvalidArchiveException}. The check runs on every read, inside an entry too, so a
 * decompression bomb is refused after a few megabytes, not after the disk or the CPU budget is gone.
 */
final class ExpansionGuard extends FilterInputStream {

    private static final long GRACE = 1 << 20;

    private final LongSupplier compressedSoFar;
    private final ArchiveInspector.Limits limits;
    private long uncompressed;

    ExpansionGuard(InputStream decompressed, LongSupplier compressedSoFar, ArchiveInspector.Limits limits) {
        super(decompressed);
        this.compressedSoFar = compressedSoFar;
        this.limits = limits;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            count(1);
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0) {
            count(n);
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        // read rather than skip, so that every byte is counted
        byte[] buf = new byte[(int) Math.min(n, 64 * 1024)];
        long left = n;
        while (left > 0) {
            int r = read(buf, 0, (int) Math.min(buf.length, left));
            if (r < 0) {
                break;
            }
            left -= r;
        }
        return n - left;
    }

    long uncompressed() {
        return uncompressed;
    }

    private void count(int n) throws InvalidArchiveException {
        uncompressed += n;
        check(uncompressed, compressedSoFar.getAsLong(), limits);
    }

    /**
     * The rule, for a reader ({@code uncompressed} bytes out of {@code compressed} read) and for a writer that must
     * not write what a reader refuses ({@link RootPacker}).
     */
    static void check(long uncompressed, long compressedSoFar, ArchiveInspector.Limits limits)
            throws InvalidArchiveException {
        if (uncompressed > limits.maxUncompressedBytes()) {
            throw new InvalidArchiveException("more than " + limits.maxUncompressedBytes()
                    + " bytes uncompressed (limit); refusing the archive");
        }
        if (uncompressed > GRACE) {
            long compressed = Math.max(1, compressedSoFar);
            if (uncompressed / compressed > limits.maxExpansionRatio()) {
                throw new InvalidArchiveException("expands more than " + limits.maxExpansionRatio()
                        + " times (" + uncompressed + " bytes out of " + compressed
                        + " compressed): a decompression bomb, refused before unpacking it");
            }
        }
    }
}
