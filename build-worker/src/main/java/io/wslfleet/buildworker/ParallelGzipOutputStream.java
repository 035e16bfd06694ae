package io.wslfleet.buildworker;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * gzip on every core, the way pigz does it: the input is cut into 1 MiB blocks, each deflated on its own thread with
 * the previous block's last 32 KiB as preset dictionary and ended with a sync flush, so the blocks concatenate into
 * one ordinary deflate stream in one gzip member (readable by gzip, zlib, libarchive and Commons Compress alike). The
 * CRC-32 is computed on the caller's thread. The output depends only on the input: no name, mtime 0, OS Unix, fixed
 * block size, so the same input gives the same bytes. Memory: at most two blocks per core in flight.
 */
final class ParallelGzipOutputStream extends OutputStream {

    static final int BLOCK = 1 << 20;
    private static final int DICTIONARY = 32 * 1024;
    private static final byte[] HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};

    private final OutputStream out;
    private final int level;
    private final ExecutorService pool;
    private final int maxInFlight;
    private final Deque<Future<byte[]>> inFlight = new ArrayDeque<>();
    private final Deque<Long> inFlightEnds = new ArrayDeque<>();
    private final Deque<byte[]> spareBlocks = new ArrayDeque<>();
    private long submitted;
    private long compressed = HEADER.length;
    private BlockCheck blockCheck = (uncompressedEnd, compressedEnd) -> { };
    private final CRC32 crc = new CRC32();
    private byte[] block = new byte[BLOCK];
    private int filled;
    private byte[] previousTail = new byte[0];
    private long total;
    private boolean closed;

    /** Told, block by block as they are written, the uncompressed and compressed bytes so far; may refuse to go on. */
    interface BlockCheck {
        void written(long uncompressedEnd, long compressedEnd) throws IOException;
    }

    ParallelGzipOutputStream(OutputStream out, int level) throws IOException {
        this.out = out;
        this.level = level;
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        this.maxInFlight = threads * 2;
        this.pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "gzip-block");
            t.setDaemon(true);
            return t;
        });
        out.write(HEADER);
    }

    void onBlockWritten(BlockCheck check) {
        this.blockCheck = check;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if (closed) {
            throw new IOException("stream closed");
        }
        crc.update(b, off, len);
        total += len;
        while (len > 0) {
            int n = Math.min(len, BLOCK - filled);
            System.arraycopy(b, off, block, filled, n);
            filled += n;
            off += n;
            len -= n;
            if (filled == BLOCK) {
                submit(false);
            }
        }
    }

    private void submit(boolean last) throws IOException {
        byte[] input = block;
        int length = filled;
        byte[] dictionary = previousTail;
        previousTail = Arrays.copyOfRange(input, Math.max(0, length - DICTIONARY), length);
        submitted += length;
        inFlightEnds.add(submitted);
        inFlight.add(pool.submit(() -> {
            try {
                return deflate(input, length, dictionary, last);
            } finally {
                synchronized (spareBlocks) {
                    spareBlocks.add(input);
                }
            }
        }));
        synchronized (spareBlocks) {
            block = spareBlocks.isEmpty() ? new byte[BLOCK] : spareBlocks.poll();
        }
        filled = 0;
        while (inFlight.size() >= maxInFlight) {
            drainOne();
        }
    }

    private byte[] deflate(byte[] input, int length, byte[] dictionary, boolean last) {
        Deflater deflater = new Deflater(level, true);
        try {
            if (dictionary.length > 0) {
                deflater.setDictionary(dictionary);
            }
            deflater.setInput(input, 0, length);
            if (last) {
                deflater.finish();
            }
            java.io.ByteArrayOutputStream result = new java.io.ByteArrayOutputStream(length / 2 + 64);
            byte[] buf = new byte[64 * 1024];
            while (true) {
                int n = last ? deflater.deflate(buf) : deflater.deflate(buf, 0, buf.length, Deflater.SYNC_FLUSH);
                result.write(buf, 0, n);
                if (last ? deflater.finished() : (n < buf.length && deflater.needsInput())) {
                    return result.toByteArray();
                }
            }
        } finally {
            deflater.end();
        }
    }

    private void drainOne() throws IOException {
        try {
            byte[] deflated = inFlight.removeFirst().get();
            out.write(deflated);
            compressed += deflated.length;
            blockCheck.written(inFlightEnds.removeFirst(), compressed);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while compressing", e);
        } catch (ExecutionException e) {
            throw new IOException("compression failed", e.getCause());
        }
    }

    @Override
    public void flush() throws IOException {
        out.flush();
    }

    /** Writes raw deflate data after the stream so far; the data must end the deflate stream (a final block). */
    interface Tail {
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * Ends the deflate stream so far at a block boundary, byte-aligned (sync flush, not final), lets {@code tail}
     * write deflate blocks that continue and end it (they may refer to the last 32 KiB written here), then writes
     * the trailer for everything: {@code tailCrc} and {@code tailLength} are the CRC-32 and length of what the tail
     * decodes to. Leaves the underlying stream open.
     */
    void finishWithTail(Tail tail, long tailCrc, long tailLength) throws IOException {
        if (closed) {
            throw new IOException("stream closed");
        }
        closed = true;
        try {
            if (filled > 0) {
                submit(false);
            }
            while (!inFlight.isEmpty()) {
                drainOne();
            }
            tail.writeTo(out);
            long value = Crc32Math.combine(crc.getValue(), tailCrc, tailLength);
            long length = total + tailLength;
            out.write(new byte[] {(byte) value, (byte) (value >> 8), (byte) (value >> 16), (byte) (value >> 24),
                    (byte) length, (byte) (length >> 8), (byte) (length >> 16), (byte) (length >> 24)});
            out.flush();
        } finally {
            pool.shutdownNow();
        }
    }

    /** Writes the last block and the trailer; leaves the underlying stream open. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            submit(true);
            while (!inFlight.isEmpty()) {
                drainOne();
            }
            long value = crc.getValue();
            out.write(new byte[] {(byte) value, (byte) (value >> 8), (byte) (value >> 16), (byte) (value >> 24),
                    (byte) total, (byte) (total >> 8), (byte) (total >> 16), (byte) (total >> 24)});
            out.flush();
        } finally {
            pool.shutdownNow();
        }
    }
}
