package dev.baton.config;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.BitSet;
import java.util.Locale;
import java.util.Objects;

/**
 * A five-field cron expression ({@code minute hour day-of-month month day-of-week}), evaluated in
 * UTC, as in crontab(5): {@code *}, lists ({@code 1,15}), ranges ({@code 1-5}), steps
 * ({@code *}{@code /15}, {@code 0-30/10}), month and day names ({@code jan}, {@code sun}), day of week 0-7
 * (0 and 7 are Sunday). When both day fields are restricted, a day matches if either matches
 * (crontab's rule). Immutable; {@link #parse} refuses anything else with a message naming the field.
 */
public final class Cron {
    private static final String[] FIELDS = {"minute", "hour", "day of month", "month", "day of week"};
    private static final int[] MIN = {0, 0, 1, 1, 0};
    private static final int[] MAX = {59, 23, 31, 12, 7};
    private static final String[] MONTHS = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
        "nov", "dec"};
    private static final String[] DAYS = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

    private final String expression;
    private final BitSet minutes;
    private final BitSet hours;
    private final BitSet daysOfMonth;
    private final BitSet months;
    private final BitSet daysOfWeek;
    private final boolean domRestricted;
    private final boolean dowRestricted;

    private Cron(String expression, BitSet[] sets, boolean domRestricted, boolean dowRestricted) {
        this.expression = expression;
        this.minutes = sets[0];
        this.hours = sets[1];
        this.daysOfMonth = sets[2];
        this.months = sets[3];
        this.daysOfWeek = sets[4];
        this.domRestricted = domRestricted;
        this.dowRestricted = dowRestricted;
    }

    /** @throws IllegalArgumentException the expression is not five valid fields */
    public static Cron parse(String expression) {
        if (expression == null || expression.isBlank()) {
            throw new IllegalArgumentException("must be a cron expression of five fields (minute hour day-of-month "
                    + "month day-of-week), got an empty value");
        }
        String[] parts = expression.trim().split("\\s+");
        if (parts.length != 5) {
            throw new IllegalArgumentException("must be a cron expression of five fields (minute hour day-of-month "
                    + "month day-of-week), got " + parts.length + " field" + (parts.length == 1 ? "" : "s"));
        }
        BitSet[] sets = new BitSet[5];
        for (int i = 0; i < 5; i++) {
            sets[i] = field(parts[i].toLowerCase(Locale.ROOT), i);
        }
        if (sets[4].get(7)) {
            sets[4].set(0); // 7 is Sunday too
        }
        if (sets[0].isEmpty() || sets[1].isEmpty() || sets[2].isEmpty() || sets[3].isEmpty() || sets[4].isEmpty()) {
            throw new IllegalArgumentException("matches no time");
        }
        return new Cron(String.join(" ", parts), sets, !parts[2].startsWith("*"), !parts[4].startsWith("*"));
    }

    private static BitSet field(String text, int f) {
        BitSet set = new BitSet();
        for (String item : text.split(",", -1)) {
            int step = 1;
            String range = item;
            int slash = item.indexOf('/');
            if (slash >= 0) {
                range = item.substring(0, slash);
                step = number(item.substring(slash + 1), f, true);
                if (step < 1) {
                    throw bad(f, "step must be at least 1 in \"" + item + "\"");
                }
            }
            int lo;
            int hi;
            if (range.equals("*")) {
                lo = MIN[f];
                hi = f == 4 ? 6 : MAX[f];
            } else if (range.contains("-")) {
                int dash = range.indexOf('-');
                lo = value(range.substring(0, dash), f);
                hi = value(range.substring(dash + 1), f);
                if (hi < lo) {
                    throw bad(f, "range \"" + range + "\" runs backwards");
                }
            } else {
                lo = value(range, f);
                hi = slash >= 0 ? (f == 4 ? 6 : MAX[f]) : lo;
            }
            for (int v = lo; v <= hi; v += step) {
                set.set(v);
            }
        }
        return set;
    }

    private static int value(String s, int f) {
        String[] names = f == 3 ? MONTHS : f == 4 ? DAYS : null;
        if (names != null) {
            for (int i = 0; i < names.length; i++) {
                if (names[i].equals(s)) {
                    return f == 3 ? i + 1 : i;
                }
            }
        }
        int v = number(s, f, false);
        if (v < MIN[f] || v > MAX[f]) {
            throw bad(f, "value " + v + " is outside " + MIN[f] + "-" + MAX[f]);
        }
        return v;
    }

    private static int number(String s, int f, boolean step) {
        if (s.isEmpty() || s.length() > 4 || !s.chars().allMatch(Character::isDigit)) {
            throw bad(f, (step ? "step" : "value") + " \"" + Untrusted.shown(s, 20) + "\" is not a number"
                    + (f >= 3 && !step ? " or a name" : ""));
        }
        return Integer.parseInt(s);
    }

    private static IllegalArgumentException bad(int f, String what) {
        return new IllegalArgumentException(FIELDS[f] + " field: " + what);
    }

    /** The expression, normalised to single spaces. */
    public String expression() {
        return expression;
    }

    /** Whether the minute {@code t} (seconds ignored, in UTC) matches. */
    public boolean matches(ZonedDateTime t) {
        ZonedDateTime u = t.withZoneSameInstant(ZoneOffset.UTC);
        return minutes.get(u.getMinute()) && hours.get(u.getHour()) && dayMatches(u.toLocalDate());
    }

    private boolean dayMatches(LocalDate d) {
        if (!months.get(d.getMonthValue())) {
            return false;
        }
        boolean dom = daysOfMonth.get(d.getDayOfMonth());
        boolean dow = daysOfWeek.get(d.getDayOfWeek().getValue() % 7);
        if (domRestricted && dowRestricted) {
            return dom || dow;
        }
        return dom && dow;
    }

    /**
     * The latest schedule point at or before {@code t} (UTC, whole minute), or null when there is
     * none within the 5 years before (e.g. "0 0 30 2 *").
     */
    public ZonedDateTime latestAtOrBefore(ZonedDateTime t) {
        ZonedDateTime u = t.withZoneSameInstant(ZoneOffset.UTC).truncatedTo(ChronoUnit.MINUTES);
        LocalDate day = u.toLocalDate();
        LocalDate stop = day.minusYears(5);
        boolean first = true;
        while (!day.isBefore(stop)) {
            if (dayMatches(day)) {
                int fromHour = first ? u.getHour() : 23;
                for (int h = hours.previousSetBit(fromHour); h >= 0; h = hours.previousSetBit(h - 1)) {
                    int fromMinute = first && h == u.getHour() ? u.getMinute() : 59;
                    int m = minutes.previousSetBit(fromMinute);
                    if (m >= 0) {
                        return day.atTime(h, m).atZone(ZoneOffset.UTC);
                    }
                    if (h == 0) {
                        break;
                    }
                }
            }
            first = false;
            day = day.minusDays(1);
        }
        return null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cron c && c.expression.equals(expression);
    }

    @Override
    public int hashCode() {
        return Objects.hash(expression);
    }

    @Override
    public String toString() {
        return expression;
    }
}
