package io.wslfleet.protocol.testing;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

/**
 * Random mutations of a good record, on top of {@link BadRecords}' table: a flipped byte, a cut value, a header
 * replaced by garbage, a garbage key, text spliced into the JSON, an unknown extension header. Driven by a
 * {@link Random} the caller seeds, so a failing case can be repeated.
 */
public final class Mutations {
    private static final String ALPHABET = "aZ9 {}[]\":,\\/.-_\u00e9\u65e5\u0000\n";

    private Mutations() {
    }

    public static ProducerRecord<String, byte[]> mutate(ProducerRecord<String, byte[]> good, Random random) {
        byte[] value = good.value().clone();
        RecordHeaders headers = new RecordHeaders(good.headers().toArray());
        String key = good.key();
        String text = text(random);
        switch (random.nextInt(6)) {
            case 0 -> value[random.nextInt(value.length)] = (byte) random.nextInt(256);
            case 1 -> value = Arrays.copyOf(value, random.nextInt(value.length));
            case 2 -> {
                Header[] all = headers.toArray();
                String name = all[random.nextInt(all.length)].key();
                headers.remove(name);
                headers.add(name, text.getBytes(StandardCharsets.UTF_8));
            }
            case 3 -> key = text;
            case 4 -> {
                String json = new String(value, StandardCharsets.UTF_8);
                int at = random.nextInt(json.length());
                value = (json.substring(0, at) + text + json.substring(at)).getBytes(StandardCharsets.UTF_8);
            }
            default -> headers.add("ce_" + text, new byte[]{(byte) random.nextInt(256)});
        }
        return new ProducerRecord<>(good.topic(), null, key, value, headers);
    }

    private static String text(Random random) {
        int length = random.nextInt(40);
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        return sb.toString();
    }
}
