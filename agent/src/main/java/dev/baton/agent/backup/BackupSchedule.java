package dev.baton.agent.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.config.BackupConfig.Schedule;
import dev.baton.config.Cron;
import dev.baton.config.Untrusted;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * Which scheduled backup is due: pure (no clock, no I/O), decided from the schedule, the time and
 * the points already claimed (the etcd key {@code backup}, {@link Claims}). The leader claims what
 * {@link #due} returns by compare-and-set on that key and only then runs the backup, so each
 * schedule point runs once, even across a failover.
 *
 * <p>The rules, per type with a cron expression: its point is the latest one at or before now.
 * <ul>
 *   <li>A point at or before the one claimed for its type never runs (again).</li>
 *   <li>Never claimed (a new cluster, or a type just added to the schedule): the point runs only if
 *       it is at most {@link #FIRST_POINT_GRACE} old; an older one is only recorded, so that
 *       turning a schedule on does not start a backup at once for a point long past.</li>
 *   <li>A point claimed before but missed since (no leader at the time) runs late, once.</li>
 *   <li>At most one backup per decision: the biggest type due (full, then diff, then incr). It is
 *       taken now, so it also covers the smaller types' pending points, which are claimed with it
 *       (when a full and a diff point coincide, only the full runs).</li>
 * </ul>
 */
public final class BackupSchedule {
    /** How old a never-claimed point may be and still run. */
    public static final Duration FIRST_POINT_GRACE = Duration.ofHours(1);

    private static final ObjectMapper JSON = new ObjectMapper();

    private BackupSchedule() {
    }

    /** The last point claimed per type (the {@code backup} key); a type never claimed is absent. */
    public record Claims(Map<BackupType, Instant> points) {
        public static final Claims NONE = new Claims(Map.of());

        public Claims {
            points = points.isEmpty() ? Map.of() : Map.copyOf(new EnumMap<>(points));
        }

        public Instant get(BackupType type) {
            return points.get(type);
        }

        Claims with(BackupType type, Instant point) {
            Map<BackupType, Instant> m = new EnumMap<>(BackupType.class);
            m.putAll(points);
            m.put(type, point);
            return new Claims(m);
        }

        /** {@code {"full":"2026-12-06T03:00:00Z","diff":...}}, in type order, for the key. */
        public String toJson() {
            ObjectNode o = JSON.createObjectNode();
            for (BackupType t : BackupType.values()) {
                if (points.containsKey(t)) {
                    o.put(t.key(), points.get(t).toString());
                }
            }
            return o.toString();
        }

        /**
         * Reads the key's value (null or absent: no claims).
         *
         * @throws IllegalArgumentException not such a JSON object (a value from outside: the
         *         message shows it only through {@code Untrusted}); unknown fields are ignored
         */
        public static Claims parse(String json) {
            if (json == null) {
                return NONE;
            }
            JsonNode node;
            try {
                node = JSON.readTree(json);
            } catch (Exception e) {
                throw new IllegalArgumentException("not JSON: " + Untrusted.shown(json, 80));
            }
            if (node == null || !node.isObject()) {
                throw new IllegalArgumentException("not a JSON object: " + Untrusted.shown(json, 80));
            }
            Map<BackupType, Instant> m = new EnumMap<>(BackupType.class);
            for (BackupType t : BackupType.values()) {
                JsonNode v = node.get(t.key());
                if (v == null || v.isNull()) {
                    continue;
                }
                if (!v.isTextual()) {
                    throw new IllegalArgumentException(t.key() + " is not a time: "
                            + Untrusted.shown(v.toString(), 80));
                }
                try {
                    m.put(t, Instant.parse(v.asText()));
                } catch (DateTimeParseException e) {
                    throw new IllegalArgumentException(t.key() + " is not an ISO 8601 time: "
                            + Untrusted.shown(v.asText(), 80));
                }
            }
            return new Claims(m);
        }
    }

    /**
     * What to do now.
     *
     * @param run   the type of backup to run now, or null (the claims only record points)
     * @param point the schedule point the run is for (null without a run)
     * @param claims what the {@code backup} key says once this is claimed
     */
    public record Due(BackupType run, Instant point, Claims claims) {
    }

    /** The latest point of {@code cron} at or before {@code now} (whole minutes, UTC), or null. */
    public static Instant latestPoint(Cron cron, Instant now) {
        ZonedDateTime p = cron == null ? null : cron.latestAtOrBefore(now.atZone(ZoneOffset.UTC));
        return p == null ? null : p.toInstant();
    }

    /**
     * What is due at {@code now} given {@code claimed}; empty when nothing is (no key write needed).
     */
    public static Optional<Due> due(Schedule schedule, Instant now, Claims claimed) {
        if (schedule == null || schedule.isEmpty()) {
            return Optional.empty();
        }
        Claims next = claimed;
        Map<BackupType, Instant> pending = new EnumMap<>(BackupType.class);
        for (BackupType t : BackupType.values()) {
            Instant point = latestPoint(cron(schedule, t), now);
            if (point == null) {
                continue;
            }
            Instant last = claimed.get(t);
            if (last != null && !point.isAfter(last)) {
                continue;
            }
            if (last == null && Duration.between(point, now).compareTo(FIRST_POINT_GRACE) > 0) {
                next = next.with(t, point); // recorded, not run
                continue;
            }
            pending.put(t, point);
        }
        BackupType run = null;
        Instant runPoint = null;
        for (BackupType t : BackupType.values()) { // FULL, DIFF, INCR: the biggest first
            Instant point = pending.get(t);
            if (point == null) {
                continue;
            }
            if (run == null) {
                run = t;
                runPoint = point;
            }
            next = next.with(t, point); // the run now covers the smaller types' pending points too
        }
        if (next.equals(claimed)) {
            return Optional.empty();
        }
        return Optional.of(new Due(run, runPoint, next));
    }

    private static Cron cron(Schedule s, BackupType t) {
        return switch (t) {
            case FULL -> s.full();
            case DIFF -> s.diff();
            case INCR -> s.incr();
        };
    }
}
