package io.wslfleet.orchestrator.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Collections;
import java.util.List;

class ReadableTest {

    @Test
    void aTimeIsATimeElementInUtcToTheSecond() {
        assertThat(Readable.time(Instant.parse("2026-12-02T06:57:49.123456Z")).toString()).isEqualTo(
                "<time datetime=\"2026-12-02T06:57:49Z\" title=\"2026-12-02 06:57:49 UTC\">2026-12-02 06:57:49 UTC</time>");
        assertThat(Readable.time(null).toString()).isEqualTo("-");
    }

    @Test
    void aLongValueIsCutAndAPageCarriesAtMostFourKilobytesOfIt() {
        String name = "x".repeat(900_000) + ".service";
        String cut = Readable.cut(name, 80).toString();
        assertThat(cut).startsWith("<details class=\"cut\"><summary>" + "x".repeat(80) + "…</summary>")
                .contains("900008 characters in all");
        assertThat(cut.length()).isLessThan(Readable.MAX_SHOWN + 200);
        assertThat(Readable.cut("<short>", 80).toString()).isEqualTo("&lt;short&gt;");
    }

    @Test
    void unitsBeyondTheFirstFewAreCounted() {
        String units = Readable.units(Collections.nCopies(8, "a.service"), 5, 80).toString();
        assertThat(units.split("<code", -1)).hasSize(6);
        assertThat(units).endsWith("<em>and 3 more</em>");
        assertThat(Readable.units(List.of(), 5, 80).toString()).isEmpty();
    }

    @Test
    void bytesReadInBinaryUnits() {
        assertThat(Readable.bytes(1023)).isEqualTo("1023 B");
        assertThat(Readable.bytes(1536)).isEqualTo("1.5 KiB");
        assertThat(Readable.bytes(3L << 30)).isEqualTo("3.0 GiB");
    }
}
