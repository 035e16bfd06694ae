package io.wslfleet.orchestrator.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;

import org.junit.jupiter.api.Test;

class MaintenanceWindowTest {

    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    private static Instant berlin(String localDateTime) {
        return LocalDateTime.parse(localDateTime).atZone(BERLIN).toInstant();
    }

    @Test
    void weekdayEveningWindowOpensAtItsTimeAndClosesAfterItsDuration() {
        var window = new MaintenanceWindow("0 22 * * 1-5", 120, "Europe/Berlin");
        assertThat(window.isOpen(berlin("2026-11-23T21:59:59"))).isFalse(); // Monday
        assertThat(window.isOpen(berlin("2026-11-23T22:00:00"))).isTrue();
        assertThat(window.isOpen(berlin("2026-11-23T23:59:59"))).isTrue();
        assertThat(window.isOpen(berlin("2026-11-24T00:00:00"))).isFalse(); // 120 minutes later: closed
        assertThat(window.isOpen(berlin("2026-11-28T22:30:00"))).isFalse(); // Saturday
        assertThat(window.openedAt(berlin("2026-11-23T23:10:00"))).contains(berlin("2026-11-23T22:00:00"));
        assertThat(window.nextOpening(berlin("2026-11-27T23:00:00"))).contains(berlin("2026-11-30T22:00:00"));
    }

    @Test
    void theNextOpeningsOfAWeekdayWindowSkipTheWeekendAndFollowTheZonesClockChange() {
        var window = new MaintenanceWindow("0 22 * * 1-5", 120, "Europe/Berlin");
        assertThat(window.nextOpenings(berlin("2026-10-22T23:00:00"), 4)) // a Thursday; clocks go back on Sunday
                .containsExactly(berlin("2026-10-23T22:00:00"), berlin("2026-10-26T22:00:00"),
                        berlin("2026-10-27T22:00:00"), berlin("2026-10-28T22:00:00"))
                .satisfies(openings -> assertThat(openings.get(1).toString()).isEqualTo("2026-10-26T21:00:00Z"));
        assertThat(new MaintenanceWindow("0 0 29 2 *", 60, "UTC").nextOpenings(Instant.parse("2027-06-01T00:00:00Z"), 2))
                .as("the one after is four years later").containsExactly(Instant.parse("2028-02-29T00:00:00Z"));
    }

    @Test
    void windowsAcrossMidnightAndTheTimeZoneOfTheRollout() {
        var window = new MaintenanceWindow("30 23 * * *", 90, "America/New_York");
        Instant ny0059 = LocalDateTime.parse("2026-11-25T00:59:00").atZone(ZoneId.of("America/New_York")).toInstant();
        assertThat(window.isOpen(ny0059)).isTrue();
        assertThat(window.isOpen(ny0059.plusSeconds(60))).isFalse(); // 01:00, 90 minutes after 23:30
        assertThat(window.isOpen(Instant.parse("2026-11-25T04:45:00Z"))).isTrue(); // 23:45 in New York, 04:45 UTC
    }

    @Test
    void daylightSavingTimeIsTheWallClocks() {
        // 2026-03-29: Berlin skips from 02:00 to 03:00, so a 02:30 window does not open that night
        var skipped = new MaintenanceWindow("30 2 * * *", 20, "Europe/Berlin");
        assertThat(skipped.isOpen(Instant.parse("2026-03-29T01:35:00Z"))).isFalse(); // 03:35 CEST, right after the gap
        assertThat(skipped.isOpen(Instant.parse("2026-03-29T00:59:00Z"))).isFalse(); // 01:59 CET
        assertThat(skipped.isOpen(berlin("2026-03-28T02:35:00"))).isTrue();
        assertThat(skipped.isOpen(berlin("2026-03-30T02:35:00"))).isTrue();
        // 2026-10-25: 02:00-03:00 happens twice; a 02:30 window opens once, at the first 02:30 (00:30 UTC)
        var repeated = new MaintenanceWindow("30 2 * * *", 10, "Europe/Berlin");
        assertThat(repeated.isOpen(Instant.parse("2026-10-25T00:35:00Z"))).isTrue();
        assertThat(repeated.isOpen(Instant.parse("2026-10-25T01:35:00Z"))).isFalse();
    }

    @Test
    void cronSyntaxAndLimitsAreChecked() {
        assertThatThrownBy(() -> new MaintenanceWindow("0 22 * *", 60, "UTC")).hasMessageContaining("5 fields");
        assertThatThrownBy(() -> new MaintenanceWindow("0 25 * * *", 60, "UTC")).hasMessageContaining("out of range");
        assertThatThrownBy(() -> new MaintenanceWindow("0 22 * * *", 0, "UTC")).hasMessageContaining("duration");
        assertThatThrownBy(() -> new MaintenanceWindow("0 22 * * *", 60, "Mars/Olympus")).isInstanceOf(Exception.class);
        var everyQuarter = new MaintenanceWindow("*/15 * * * 0,7", 5, "UTC");
        assertThat(everyQuarter.isOpen(Instant.parse("2026-11-29T10:47:00Z"))).isTrue(); // Sunday 10:45 + 2 min
        assertThat(everyQuarter.isOpen(Instant.parse("2026-11-29T10:51:00Z"))).isFalse();
    }
}
