package io.wslfleet.buildworker;

import java.io.IOException;
import java.io.OutputStream;


/**
 * gzip with nothing in the header that varies (no file name, mtime 0, OS Unix): same input, same bytes. Compressed on
 * every core ({@link ParallelGzipOutputStream}).
 */
final class ReproducibleGzip {

    private ReproducibleGzip() {
    }

    /** A gzip stream over {@code out}; closing it writes the trailer but leaves {@code out} open. */
    static OutputStream over(OutputStream out) throws IOException {
        return new ParallelGzipOutputStream(out, 6);
    }

    /** As {@link #over(OutputStream)}, as the class (for {@link ParallelGzipOutputStream#finishWithTail}). */
    static ParallelGzipOutputStream parallel(OutputStream out) throws IOException {
        return new ParallelGzipOutputStream(out, 6);
    }

    /** As {@link #over(OutputStream)}, with {@code check} told of every block written. */
    static OutputStream over(OutputStream out, ParallelGzipOutputStream.BlockCheck check) throws IOException {
        var gz = new ParallelGzipOutputStream(out, 6);
        gz.onBlockWritten(check);
        return gz;
    }
}
