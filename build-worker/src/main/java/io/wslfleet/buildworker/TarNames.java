package io.wslfleet.buildworker;

import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Entry names as the bytes they are. A name travels through the build worker as a "byte string": a {@code String}
 * holding one char (0-255) per byte, which is what decoding with ISO-8859-1 gives. Tar readers and writers here use
 * that encoding, so a name goes into an archive exactly as its bytes were on disk or in the input (raw bytes in the
 * header or a GNU long-name record, as GNU tar writes them), whatever the locale of the JVM. Names people give
 * (customisation paths, in Unicode) become byte strings through UTF-8; messages show byte strings as UTF-8 where
 * they are, {@code \xNN} where not.
 */
final class TarNames {

    /** The charset of byte strings: one char per byte, every byte value. */
    static final String ENCODING = "ISO-8859-1";

    /** {@code sun.nio.fs.UnixPath#asByteArray}: a name read from a directory keeps its bytes there, whatever the locale. */
    private static final MethodHandle PATH_BYTES = pathBytes();

    private TarNames() {
    }

    private static MethodHandle pathBytes() {
        try {
            Class<?> unixPath = Class.forName("sun.nio.fs.UnixPath");
            var lookup = MethodHandles.privateLookupIn(unixPath, MethodHandles.lookup());
            return lookup.findVirtual(unixPath, "asByteArray", MethodType.methodType(byte[].class))
                    .asType(MethodType.methodType(byte[].class, Path.class));
        } catch (ReflectiveOperationException | RuntimeException e) {
            // java.base does not open sun.nio.fs to us (not started through the jar or bin/build-worker): names are
            // then read through the locale's charset, and a name it cannot represent is refused by name
            return null;
        }
    }

    /** The byte string of a path as the file system holds it (a path read from a directory listing). */
    static String of(Path path) throws IOException {
        if (PATH_BYTES != null) {
            try {
                return new String((byte[]) PATH_BYTES.invokeExact(path), StandardCharsets.ISO_8859_1);
            } catch (Throwable e) {
                throw new IOException("cannot read the name of " + path + " as bytes", e);
            }
        }
        String decoded = path.toString();
        Charset jnu = Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"));
        try {
            ByteBuffer bytes = jnu.newEncoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).encode(CharBuffer.wrap(decoded));
            if (decoded.indexOf('\uFFFD') < 0) {
                return StandardCharsets.ISO_8859_1.decode(bytes).toString();
            }
        } catch (CharacterCodingException e) {
            // falls through to the refusal
        }
        throw new InvalidArchiveException("cannot read the name " + decoded + " as its bytes in this locale (" + jnu
                + "): refusing rather than writing other bytes; run through bin/build-worker (or java -jar, or with"
                + " --add-opens java.base/sun.nio.fs=ALL-UNNAMED) to read names as bytes");
    }

    /** The byte string of a name a person gave (Unicode), in UTF-8; a name that is not valid Unicode is refused. */
    static String ofUnicode(String name) {
        if (name.indexOf('\uFFFD') >= 0) {
            throw new IllegalArgumentException("the path " + name + " holds U+FFFD: it was not valid in the encoding it"
                    + " was given in (a command line in the C locale?); give it in UTF-8");
        }
        try {
            ByteBuffer bytes = StandardCharsets.UTF_8.newEncoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).encode(CharBuffer.wrap(name));
            return StandardCharsets.ISO_8859_1.decode(bytes).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("the path " + name + " is not valid Unicode");
        }
    }

    /** A byte string's bytes. */
    static byte[] bytes(String byteString) {
        return byteString.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** A byte string from bytes. */
    static String of(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    /** A byte string from bytes. */
    static String of(byte[] bytes, int offset, int length) {
        return new String(bytes, offset, length, StandardCharsets.ISO_8859_1);
    }

    /** For messages: UTF-8 where the bytes are UTF-8, {@code \xNN} for other bytes, and control characters escaped. */
    static String display(String byteString) {
        byte[] bytes = bytes(byteString);
        var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        String text;
        try {
            text = decoder.decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            StringBuilder out = new StringBuilder();
            for (byte b : bytes) {
                int v = b & 0xff;
                if (v >= 0x20 && v < 0x7f) {
                    out.append((char) v);
                } else {
                    out.append(String.format("\\x%02x", v));
                }
            }
            return out.toString();
        }
        StringBuilder out = new StringBuilder(text.length());
        text.codePoints().forEach(c -> {
            if (c == '\t') {
                out.append("\\t");
            } else if (c == '\n') {
                out.append("\\n");
            } else if (c < 0x20 || c == 0x7f) {
                out.append(String.format("\\x%02x", c));
            } else {
                out.appendCodePoint(c);
            }
        });
        return out.toString();
    }
}
