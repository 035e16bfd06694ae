package io.wslfleet.buildworker;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A single-member gzip file read as its uncompressed bytes, that can tell where its compressed stream may be cut:
 * a point where the deflate stream is byte-aligned at a block boundary (pigz ends each of its blocks with a sync
 * flush, {@code 00 00 ff ff}), so that the compressed bytes from there on, behind any deflate stream whose last
 * 32 KiB of output are the same, decode to the same bytes. {@link ArchiveCustomizer} uses it to end a customised
 * archive with the input's own compressed tail instead of compressing it again.
 *
 * <p>A candidate {@code 00 00 ff ff} found in the compressed bytes is taken only once a second inflater, started
 * there with the last 32 KiB as its dictionary, decodes the next 256 KiB (or up to the end) exactly as the main one
 * does; a candidate that is not a real boundary fails that at once. A gzip file of several members is read whole
 * but never cut (the {@link #atSyncPoint()} answer stays false).
 */
final class SpliceableGzipInput extends InputStream {

    private static final int WINDOW = 32 * 1024;
    private static final int VERIFY = 256 * 1024;
    private static final byte[] MARKER = {0, 0, (byte) 0xff, (byte) 0xff};

    private final FileChannel file;
    private final long fileSize;
    private final Inflater inflater = new Inflater(true);
    private final CRC32 crc = new CRC32();
    private final CRC32 memberCrc = new CRC32();
    private final byte[] input = new byte[64 * 1024];
    private final byte[] window = new byte[WINDOW];
    private int windowFill;
    private long inputStart;   // file offset of what the inflater was last given
    private int inputLength;
    private long headerEnd;
    private long produced;
    private long memberProduced;
    private boolean singleMember = true;
    /** Decoded ahead (while verifying a candidate) and not yet handed out. */
    private byte[] pending = new byte[0];
    private int pendingAt;
    /** From this uncompressed offset on, stop at the first verified sync point. */
    private long spliceFrom = Long.MAX_VALUE;
    private long candidateEnd = -1; // file offset just after the marker the inflater was fed up to
    private long syncAt = -1;       // file offset of the compressed bytes after a verified sync point

    SpliceableGzipInput(Path path) throws IOException {
        this.file = FileChannel.open(path, StandardOpenOption.READ);
        this.fileSize = file.size();
        this.headerEnd = readHeader(0);
        this.inputStart = headerEnd;
    }

    /** From the uncompressed offset {@code offset} on, stop at the first sync point ({@link #atSyncPoint()}). */
    void spliceFrom(long offset) {
        spliceFrom = offset;
    }

    /** True once reads stopped at a verified sync point: then {@link #produced()} bytes were handed out. */
    boolean atSyncPoint() {
        return syncAt >= 0;
    }

    long produced() {
        return produced;
    }

    /** Compressed bytes of the file consumed so far (for the expansion guard). */
    long consumed() {
        return inputStart + inputLength - inflater.getRemaining();
    }

    /** CRC-32 of the bytes handed out. */
    long crc() {
        return crc.getValue();
    }

    /** The gzip trailer at the end of the file: CRC-32 and length mod 2^32 of its (last) member. */
    long[] trailer() throws IOException {
        return trailerAt(fileSize - 8);
    }

    private long[] trailerAt(long at) throws IOException {
        ByteBuffer t = ByteBuffer.allocate(8);
        if (file.read(t, at) < 8) {
            throw new EOFException("the gzip trailer is cut off");
        }
        byte[] b = t.array();
        long crcValue = (b[0] & 0xffL) | (b[1] & 0xffL) << 8 | (b[2] & 0xffL) << 16 | (b[3] & 0xffL) << 24;
        long size = (b[4] & 0xffL) | (b[5] & 0xffL) << 8 | (b[6] & 0xffL) << 16 | (b[7] & 0xffL) << 24;
        return new long[] {crcValue, size};
    }

    /** Copies the compressed bytes from the sync point to the end of the deflate stream (before the trailer). */
    void copyCompressedTail(java.io.OutputStream out, java.util.function.LongConsumer progress) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        for (long at = syncAt; at < fileSize - 8; ) {
            buf.clear().limit((int) Math.min(buf.capacity(), fileSize - 8 - at));
            int n = file.read(buf, at);
            if (n <= 0) {
                throw new EOFException("the input ended while copying its tail");
            }
            out.write(buf.array(), 0, n);
            at += n;
            progress.accept(at);
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n;
        while ((n = read(one, 0, 1)) == 0) {
            // a read of one byte never returns 0 bytes but at the end
        }
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (syncAt >= 0) {
            return -1;
        }
        try {
            while (true) {
                if (pendingAt < pending.length) {
                    int n = Math.min(len, pending.length - pendingAt);
                    System.arraycopy(pending, pendingAt, b, off, n);
                    pendingAt += n;
                    handOut(b, off, n);
                    return n;
                }
                int n = inflater.inflate(b, off, len);
                if (n > 0) {
                    handOut(b, off, n);
                    return n;
                }
                if (inflater.finished()) {
                    if (!nextMember()) {
                        return -1;
                    }
                    continue;
                }
                if (inflater.needsDictionary()) {
                    throw new java.util.zip.ZipException("a gzip member needs a preset dictionary");
                }
                long consumedTo = inputStart + inputLength;
                if (looking() && consumedTo == candidateEnd && windowFill == WINDOW) {
                    candidateEnd = -1;
                    if (verify(consumedTo)) {
                        syncAt = consumedTo;
                        return -1;
                    }
                    continue;
                }
                fill(consumedTo);
            }
        } catch (DataFormatException e) {
            throw new java.util.zip.ZipException("corrupt deflate data: " + e.getMessage());
        }
    }

    private boolean looking() {
        return singleMember && produced >= spliceFrom;
    }

    private void handOut(byte[] b, int off, int n) {
        crc.update(b, off, n);
        memberCrc.update(b, off, n);
        produced += n;
        memberProduced += n;
        if (spliceFrom != Long.MAX_VALUE) {
            if (n >= WINDOW) {
                System.arraycopy(b, off + n - WINDOW, window, 0, WINDOW);
                windowFill = WINDOW;
            } else {
                int keep = Math.min(windowFill, WINDOW - n);
                System.arraycopy(window, windowFill - keep, window, 0, keep);
                System.arraycopy(b, off, window, keep, n);
                windowFill = keep + n;
            }
        }
    }

    /** Gives the inflater the input from {@code from}: when looking for a cut, only up to the end of the next marker. */
    private void fill(long from) throws IOException {
        int n = file.read(ByteBuffer.wrap(input), from);
        if (n <= 0) {
            throw new EOFException("the gzip stream ends early (truncated)");
        }
        int length = n;
        if (looking()) {
            int marker = indexOf(input, 0, n);
            if (marker >= 0) {
                length = marker + MARKER.length;
                candidateEnd = from + length;
            }
        }
        inputStart = from;
        inputLength = length;
        inflater.setInput(input, 0, length);
    }

    /**
     * Decodes ahead from {@code compressedFrom} with the main inflater and with a fresh one primed with the window;
     * the cut is real if both give the same bytes. What the main inflater decoded is kept to be handed out.
     */
    private boolean verify(long compressedFrom) throws IOException, DataFormatException {
        byte[] dictionary = window.clone();
        byte[] ahead = new byte[VERIFY];
        int aheadLength = 0;
        long position = compressedFrom;
        while (aheadLength < VERIFY && !inflater.finished()) {
            if (inflater.needsInput()) {
                int n = file.read(ByteBuffer.wrap(input), position);
                if (n <= 0) {
                    break;
                }
                inputStart = position;
                inputLength = n;
                position += n;
                inflater.setInput(input, 0, n);
            }
            int n = inflater.inflate(ahead, aheadLength, VERIFY - aheadLength);
            aheadLength += n;
            if (n == 0 && inflater.needsDictionary()) {
                break;
            }
        }
        pending = Arrays.copyOf(ahead, aheadLength);
        pendingAt = 0;
        if (aheadLength == 0) {
            return false;
        }
        Inflater fresh = new Inflater(true);
        try {
            fresh.setDictionary(dictionary);
            byte[] check = new byte[aheadLength];
            int got = 0;
            byte[] in = new byte[64 * 1024];
            long at = compressedFrom;
            while (got < aheadLength) {
                if (fresh.needsInput()) {
                    int n = file.read(ByteBuffer.wrap(in), at);
                    if (n <= 0) {
                        return false;
                    }
                    at += n;
                    fresh.setInput(in, 0, n);
                }
                int n = fresh.inflate(check, got, aheadLength - got);
                if (n == 0 && (fresh.finished() || fresh.needsDictionary())) {
                    break;
                }
                got += n;
            }
            return got == aheadLength && Arrays.equals(check, 0, got, ahead, 0, aheadLength);
        } catch (DataFormatException e) {
            return false;
        } finally {
            fresh.end();
        }
    }

    /** After a member: checks its trailer; reads the next member's header if there is one. */
    private boolean nextMember() throws IOException {
        long trailerAt = inputStart + inputLength - inflater.getRemaining();
        long[] trailer = trailerAt(trailerAt);
        if (trailer[0] != memberCrc.getValue() || trailer[1] != (memberProduced & 0xffffffffL)) {
            throw new java.util.zip.ZipException("gzip CRC or length mismatch: the archive is corrupt");
        }
        long next = trailerAt + 8;
        if (next >= fileSize) {
            return false;
        }
        singleMember = false;
        memberCrc.reset();
        memberProduced = 0;
        headerEnd = readHeader(next);
        inflater.reset();
        inputStart = headerEnd;
        inputLength = 0;
        return true;
    }

    /** Parses a gzip member header at {@code at}; returns where its deflate data begins. */
    private long readHeader(long at) throws IOException {
        ByteBuffer h = ByteBuffer.allocate(10);
        if (file.read(h, at) < 10) {
            throw new EOFException("not a gzip file: too short");
        }
        byte[] b = h.array();
        if ((b[0] & 0xff) != 0x1f || (b[1] & 0xff) != 0x8b || b[2] != 8) {
            throw new java.util.zip.ZipException("not a gzip file (a nixos.wsl is a gzip-compressed tar)");
        }
        int flags = b[3] & 0xff;
        long p = at + 10;
        if ((flags & 4) != 0) {
            ByteBuffer x = ByteBuffer.allocate(2);
            file.read(x, p);
            p += 2 + ((x.get(0) & 0xff) | (x.get(1) & 0xff) << 8);
        }
        for (int flag : new int[] {8, 16}) {
            if ((flags & flag) != 0) {
                ByteBuffer one = ByteBuffer.allocate(1);
                do {
                    one.clear();
                    if (file.read(one, p++) <= 0) {
                        throw new EOFException("gzip header cut off");
                    }
                } while (one.get(0) != 0);
            }
        }
        if ((flags & 2) != 0) {
            p += 2;
        }
        return p;
    }

    private static int indexOf(byte[] data, int from, int to) {
        for (int i = Math.max(0, from); i + MARKER.length <= to; i++) {
            if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == (byte) 0xff && data[i + 3] == (byte) 0xff) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public void close() throws IOException {
        inflater.end();
        file.close();
    }
}
