package io.wslfleet.buildworker;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipParameters;

/** gzip with nothing in the header that varies (no file name, mtime 0, OS Unix): same input, same bytes. */
final class ReproducibleGzip {

    private ReproducibleGzip() {
    }

    /** A gzip stream over {@code out}; closing it writes the trailer but leaves {@code out} open. */
    static GzipCompressorOutputStream over(OutputStream out) throws IOException {
        GzipParameters gzip = new GzipParameters();
        gzip.setModificationTime(0);
        gzip.setOperatingSystem(3);
        gzip.setCompressionLevel(6);
        return new GzipCompressorOutputStream(new KeepOpen(out), gzip);
    }

    private static final class KeepOpen extends FilterOutputStream {
        KeepOpen(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
