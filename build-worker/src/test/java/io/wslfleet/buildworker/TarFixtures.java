package io.wslfleet.buildworker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/** Small hostile or broken archives for the refusal tests. */
final class TarFixtures {

    record Entry(TarArchiveEntry entry, byte[] content) {
    }

    private TarFixtures() {
    }

    static Entry file(String name, String content) {
        TarArchiveEntry e = new TarArchiveEntry(name, true);
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        e.setSize(bytes.length);
        return new Entry(e, bytes);
    }

    static Entry hardLink(String name, String target) {
        TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_LINK, true);
        e.setLinkName(target);
        return new Entry(e, null);
    }

    static byte[] tarGz(Entry... entries) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (var tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(out))) {
            for (Entry e : entries) {
                tar.putArchiveEntry(e.entry());
                if (e.content() != null) {
                    tar.write(e.content());
                }
                tar.closeArchiveEntry();
            }
        }
        return out.toByteArray();
    }

    /** One file of {@code size} zero bytes: compresses about a thousand to one. */
    static byte[] zeroBomb(long size) throws IOException {
        ByteArrayOutputStream bomb = new ByteArrayOutputStream();
        try (var tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(bomb))) {
            TarArchiveEntry e = new TarArchiveEntry("./zeros");
            e.setSize(size);
            tar.putArchiveEntry(e);
            byte[] zeros = new byte[1 << 20];
            for (long left = size; left > 0; left -= zeros.length) {
                tar.write(zeros, 0, (int) Math.min(zeros.length, left));
            }
            tar.closeArchiveEntry();
        }
        return bomb.toByteArray();
    }
}
