package io.wslfleet.buildworker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * The tar reader of {@link ArchiveInspector} and {@link ArchiveCustomizer}: a {@link TarArchiveInputStream} whose
 * names and link targets are byte strings ({@link TarNames}): header and GNU long-name bytes as they are, and a PAX
 * {@code path} or {@code linkpath} record's bytes as they are (Commons Compress would decode those as UTF-8 and turn
 * other bytes into U+FFFD); an absolute PAX name is refused. It refuses sparse entries ({@code tar --sparse}: old GNU type {@code S}, or PAX {@code GNU.sparse.*}
 * records of format 0.0, 0.1 or 1.0) with an {@link InvalidArchiveException} naming the entry, as soon as its headers
 * are read: nothing of it reaches the caller.
 *
 * <p>Why refuse rather than read them: a {@code nixos.wsl} is packed without {@code --sparse}, so a sparse entry means
 * the image was not made by the NixOS-WSL tarball builder.
 * {@link org.apache.commons.compress.archivers.tar.TarArchiveOutputStream} cannot write sparse entries, so the
 * customiser could only expand the holes, and the zeros of a hole are made up by the tar reader above the
 * {@link ExpansionGuard}, so they would escape its limits: a 9 GiB sparse file is a few hundred bytes of archive. And
 * Commons Compress 1.28 cannot read the big ones anyway: it parses {@code GNU.sparse.realsize} and
 * {@code GNU.sparse.size} as {@code int} (any PAX sparse file from 2 GiB), and the base-256 numbers GNU tar writes in
 * an old GNU sparse header from 8 GiB as octal, failing with a message about number parsing that names no entry. To
 * name the entry then, the header records and the PAX and GNU long-name records read while looking for the next entry
 * are kept (a few KiB as a rule, at most 1 MiB of each) and read again when that fails.
 */
final class SparseRefusingTarInputStream extends TarArchiveInputStream {

    private static final int TYPE_OFFSET = 156;
    private static final int KEPT_BYTES = 1 << 20;

    private final List<byte[]> headerRecords = new ArrayList<>();
    private final ByteArrayOutputStream paxRecords = new ByteArrayOutputStream();
    private final ByteArrayOutputStream longName = new ByteArrayOutputStream();
    private int depth;

    SparseRefusingTarInputStream(InputStream in) {
        super(in, TarNames.ENCODING);
    }

    @Override
    public TarArchiveEntry getNextEntry() throws IOException {
        // the reader calls this again itself for the entry a PAX or long-name header is about: only the outer call checks
        if (depth > 0) {
            return super.getNextEntry();
        }
        headerRecords.clear();
        paxRecords.reset();
        longName.reset();
        TarArchiveEntry entry;
        depth++;
        try {
            entry = super.getNextEntry();
        } catch (InvalidArchiveException e) {
            throw e;
        } catch (IOException e) {
            String sparse = sparseEntryName();
            if (sparse == null) {
                throw e;
            }
            throw refused(sparse, e);
        } finally {
            depth--;
        }
        if (entry != null && entry.isSparse()) {
            throw refused(entry.getName(), null);
        }
        if (entry != null && paxRecords.size() > 0) {
            Map<String, String> pax = parsePax(paxRecords.toByteArray());
            String path = pax.get("path");
            if (path != null) {
                if (path.startsWith("/")) {
                    throw new InvalidArchiveException("absolute entry name " + TarNames.display(path));
                }
                entry.setName(path);
            }
            String linkPath = pax.get("linkpath");
            if (linkPath != null) {
                entry.setLinkName(linkPath);
            }
        }
        return entry;
    }

    @Override
    protected byte[] readRecord() throws IOException {
        byte[] record = super.readRecord();
        if (depth > 0 && record != null && headerRecords.size() < KEPT_BYTES / record.length) {
            headerRecords.add(record.clone());
        }
        return record;
    }

    @Override
    public int read(byte[] buf, int offset, int length) throws IOException {
        int n = super.read(buf, offset, length);
        TarArchiveEntry current = getCurrentEntry();
        if (depth > 0 && n > 0 && current != null) {
            ByteArrayOutputStream kept = current.isPaxHeader() ? paxRecords
                    : current.isGNULongNameEntry() ? longName : null;
            if (kept != null && kept.size() < KEPT_BYTES) {
                kept.write(buf, offset, n);
            }
        }
        return n;
    }

    private static InvalidArchiveException refused(String rawName, IOException cause) throws InvalidArchiveException {
        return new InvalidArchiveException(TarNames.display(ArchiveInspector.normalise(rawName)) + " is a sparse file (tar --sparse):"
                + " sparse entries are not supported, a nixos.wsl is packed without --sparse", cause);
    }

    /** The name of the entry whose headers were being read if they describe a sparse file, else null. */
    private String sparseEntryName() {
        Map<String, String> pax = parsePax(paxRecords.toByteArray());
        boolean sparse = pax.keySet().stream().anyMatch(k -> k.startsWith("GNU.sparse."));
        String name = null;
        for (byte[] record : headerRecords) {
            byte type = record[TYPE_OFFSET];
            if (type == TarConstants.LF_GNUTYPE_SPARSE) {
                sparse = true;
            }
            String recordName = nulTerminated(record, 0, TarConstants.NAMELEN);
            if (!recordName.isEmpty() && type != TarConstants.LF_PAX_EXTENDED_HEADER_LC
                    && type != TarConstants.LF_PAX_EXTENDED_HEADER_UC && type != TarConstants.LF_PAX_GLOBAL_EXTENDED_HEADER
                    && type != TarConstants.LF_GNUTYPE_LONGNAME && type != TarConstants.LF_GNUTYPE_LONGLINK) {
                name = recordName;
            }
        }
        if (!sparse) {
            return null;
        }
        if (longName.size() > 0) {
            byte[] bytes = longName.toByteArray();
            name = nulTerminated(bytes, 0, bytes.length);
        }
        return pax.getOrDefault("GNU.sparse.name", pax.getOrDefault("path", name));
    }

    private static String nulTerminated(byte[] bytes, int offset, int length) {
        int end = offset;
        while (end < offset + length && bytes[end] != 0) {
            end++;
        }
        return TarNames.of(bytes, offset, end - offset);
    }

    /** PAX records, {@code "<length> <key>=<value>\n"} with the length in bytes, as far as they parse; values as byte strings. */
    private static Map<String, String> parsePax(byte[] data) {
        Map<String, String> records = new HashMap<>();
        int at = 0;
        while (at < data.length) {
            int space = at;
            while (space < data.length && data[space] >= '0' && data[space] <= '9') {
                space++;
            }
            if (space == at || space >= data.length || data[space] != ' ' || space - at > 9) {
                break;
            }
            int end = at + Integer.parseInt(new String(data, at, space - at, StandardCharsets.US_ASCII));
            if (end > data.length || end <= space + 1) {
                break;
            }
            String record = TarNames.of(data, space + 1, end - space - 2);
            int eq = record.indexOf('=');
            if (eq > 0) {
                records.put(record.substring(0, eq), record.substring(eq + 1));
            }
            at = end;
        }
        return records;
    }
}
