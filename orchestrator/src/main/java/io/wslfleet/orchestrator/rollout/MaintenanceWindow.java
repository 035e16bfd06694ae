package io.wslfleet.orchestrator.rollout;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;

/**
 * When a rollout may command machines: windows that open at the times of a cron expression (five fields: minute,
 * hour, day of month, month, day of week; {@code *}, lists, ranges and steps; day of week 0-7 with 0 and 7 Sunday)
 * in a time zone and stay open for a duration. Times are matched on the wall clock of the zone, so a window at 02:30
 * on a day when the clocks skip that hour does not open that day, and one at 01:30 on a day the clocks fall back
 * opens at the first 01:30.
 *
 * @param cron            e.g. {@code 0 22 * * 1-5} (weekdays at 22:00)
 * @param durationMinutes how long the window stays open, 1 minute to 7 days
 * @param timeZone        IANA zone, e.g. {@code Europe/Berlin}
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record MaintenanceWindow(String cron, int durationMinutes, String timeZone) {

    public MaintenanceWindow {
        if (durationMinutes < 1 || durationMinutes > 7 * 24 * 60) {
            throw new IllegalArgumentException("maintenance window duration must be 1 minute to 7 days");
        }
        if (timeZone == null || timeZone.isBlank()) {
            throw new IllegalArgumentException("maintenance window needs a time zone (an IANA name such as Europe/Berlin)");
        }
        try {
            ZoneId.of(timeZone);
        } catch (java.time.DateTimeException e) {
            throw new IllegalArgumentException("unknown time zone '" + timeZone
                    + "': give an IANA name such as Europe/Berlin or UTC");
        }
        if (!Cron.parse(cron).firesWithinYears(8)) {
            throw new IllegalArgumentException("cron '" + cron + "' never fires: no day of the next 8 years matches "
                    + "its day, month and weekday fields");
        }
    }

    /** Whether the window is open at {@code now}. */
    public boolean isOpen(Instant now) {
        return openedAt(now).isPresent();
    }

    /** The opening of the window that is open at {@code now}, if any. */
    public Optional<Instant> openedAt(Instant now) {
        Cron c = Cron.parse(cron);
        ZoneId zone = ZoneId.of(timeZone);
        ZonedDateTime minute = now.atZone(zone).truncatedTo(ChronoUnit.MINUTES);
        for (int back = 0; back < durationMinutes + 120; back++) {
            ZonedDateTime t = minute.minusMinutes(back);
            Instant start = t.toInstant();
            if (Duration.between(start, now).toMinutes() >= durationMinutes) {
                break;
            }
            if (c.matches(t) && firstOccurrence(t)) {
                return Optional.of(start);
            }
        }
        return Optional.empty();
    }

    /** The next opening after {@code now} (within a year), for the dashboard and the timeline. */
    @JsonIgnore
    public Optional<Instant> nextOpening(Instant now) {
        List<Instant> next = nextOpenings(now, 1);
        return next.isEmpty() ? Optional.empty() : Optional.of(next.get(0));
    }

    /** Up to {@code count} openings after {@code now}, each within a year of the one before, earliest first. */
    public List<Instant> nextOpenings(Instant now, int count) {
        Cron c = Cron.parse(cron);
        List<Instant> openings = new ArrayList<>();
        ZonedDateTime t = now.atZone(ZoneId.of(timeZone)).truncatedTo(ChronoUnit.MINUTES).plusMinutes(1);
        for (int i = 0; i < 366 * 24 * 60 && openings.size() < count; i++, t = t.plusMinutes(1)) {
            if (c.matches(t) && firstOccurrence(t)) {
                openings.add(t.toInstant());
                i = 0;
            }
        }
        return openings;
    }

    /** In a repeated (fall-back) hour, only the earlier occurrence of a wall-clock time counts. */
    private static boolean firstOccurrence(ZonedDateTime t) {
        return t.withEarlierOffsetAtOverlap().toInstant().equals(t.toInstant());
    }

    record Cron(BitSet minutes, BitSet hours, BitSet days, BitSet months, BitSet weekdays, boolean anyDay,
                boolean anyWeekday) {

        static Cron parse(String expression) {
            if (expression == null) {
                throw new IllegalArgumentException("maintenance window needs a cron expression");
            }
            String[] f = expression.trim().split("\\s+");
            if (f.length != 5) {
                throw new IllegalArgumentException("cron needs 5 fields (minute hour day month weekday): " + expression);
            }
            BitSet weekdays = field(f[4], 0, 7, expression);
            if (weekdays.get(7)) {
                weekdays.set(0);
            }
            return new Cron(field(f[0], 0, 59, expression), field(f[1], 0, 23, expression), field(f[2], 1, 31, expression),
                    field(f[3], 1, 12, expression), weekdays, f[2].equals("*"), f[4].equals("*"));
        }

        private static BitSet field(String spec, int min, int max, String expression) {
            BitSet bits = new BitSet();
            for (String part : spec.split(",")) {
                int step = 1;
                String range = part;
                int slash = part.indexOf('/');
                if (!part.matches("(\\*|\\d{1,2}(-\\d{1,2})?)(/\\d{1,2})?")) {
                    throw new IllegalArgumentException("cron field '" + spec + "' is not a number, range, list or step"
                            + " (e.g. 5, 1-5, 1,3,5, */15) in " + expression);
                }
                if (slash >= 0) {
                    step = Integer.parseInt(part.substring(slash + 1));
                    range = part.substring(0, slash);
                }
                int from;
                int to;
                if (range.equals("*")) {
                    from = min;
                    to = max;
                } else if (range.contains("-")) {
                    from = Integer.parseInt(range.substring(0, range.indexOf('-')));
                    to = Integer.parseInt(range.substring(range.indexOf('-') + 1));
                } else {
                    from = Integer.parseInt(range);
                    to = slash >= 0 ? max : from;
                }
                if (from < min || to > max || from > to || step < 1) {
                    throw new IllegalArgumentException("cron field '" + spec + "' out of range in " + expression);
                }
                for (int v = from; v <= to; v += step) {
                    bits.set(v);
                }
            }
            return bits;
        }

        /** Whether some day of any {@code years} consecutive years (leap years included) matches the day fields. */
        boolean firesWithinYears(int years) {
            java.time.LocalDate day = java.time.LocalDate.of(2024, 1, 1);
            java.time.LocalDate end = day.plusYears(years);
            for (; day.isBefore(end); day = day.plusDays(1)) {
                if (matchesDay(day)) {
                    return true;
                }
            }
            return false;
        }

        private boolean matchesDay(java.time.LocalDate d) {
            if (!months.get(d.getMonthValue())) {
                return false;
            }
            int dow = d.getDayOfWeek() == DayOfWeek.SUNDAY ? 0 : d.getDayOfWeek().getValue();
            boolean dayOk = days.get(d.getDayOfMonth());
            boolean weekdayOk = weekdays.get(dow);
            return !anyDay && !anyWeekday ? dayOk || weekdayOk : dayOk && weekdayOk;
        }

        boolean matches(ZonedDateTime t) {
            if (!minutes.get(t.getMinute()) || !hours.get(t.getHour()) || !months.get(t.getMonthValue())) {
                return false;
            }
            int dow = t.getDayOfWeek() == DayOfWeek.SUNDAY ? 0 : t.getDayOfWeek().getValue();
            boolean dayOk = days.get(t.getDayOfMonth());
            boolean weekdayOk = weekdays.get(dow);
            // standard cron: when both day fields are restricted, either may match
            if (!anyDay && !anyWeekday) {
                return dayOk || weekdayOk;
            }
            return dayOk && weekdayOk;
        }
    }
}
