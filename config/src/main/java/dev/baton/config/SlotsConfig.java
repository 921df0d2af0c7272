package dev.baton.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The dynamic configuration's replication slot keys, as Patroni 4 reads them:
 * {@code member_slots_ttl} (how long a member's slot outlives its member key, seconds; 0 drops it
 * at once), {@code slots} (permanent slots the primary keeps while they are configured) and
 * {@code ignore_slots} (matchers for slots Baton never touches).
 */
public record SlotsConfig(long memberSlotsTtl, Map<String, PermanentSlot> permanent, List<IgnoreSlot> ignore) {

    /** Patroni 4's default: 30 minutes. */
    public static final long DEFAULT_MEMBER_SLOTS_TTL = 1800;
    /** PostgreSQL's slot names: lower case letters, digits and underscores, at most NAMEDATALEN-1. */
    static final Pattern SLOT_NAME = Pattern.compile("[a-z0-9_]{1,63}");
    /** A PostgreSQL time value with its unit; the bare number is seconds. */
    private static final Pattern DURATION = Pattern.compile("\\s*([0-9]{1,12})\\s*(ms|s|min|h|d)?\\s*");

    public static final SlotsConfig DEFAULT = new SlotsConfig(DEFAULT_MEMBER_SLOTS_TTL, Map.of(), List.of());

    public SlotsConfig {
        permanent = Copies.map(permanent);
        ignore = Copies.list(ignore);
    }

    /** A permanent slot: physical (database and plugin null) or logical. */
    public record PermanentSlot(String type, String database, String plugin) {
        public static PermanentSlot physical() {
            return new PermanentSlot("physical", null, null);
        }

        public static PermanentSlot logical(String database, String plugin) {
            return new PermanentSlot("logical", database, plugin);
        }

        public boolean isLogical() {
            return "logical".equals(type);
        }
    }

    /** An {@code ignore_slots} matcher: each field that is set must equal the slot's. */
    public record IgnoreSlot(String name, String type, String database, String plugin) {
        /** Whether a slot with these attributes is ignored by this matcher. */
        public boolean matches(String slotName, String slotType, String slotDatabase, String slotPlugin) {
            return (name == null || name.equals(slotName)) && (type == null || type.equals(slotType))
                    && (database == null || database.equals(slotDatabase))
                    && (plugin == null || plugin.equals(slotPlugin));
        }
    }

    /** Whether any {@code ignore_slots} matcher covers the slot. */
    public boolean ignored(String slotName, String slotType, String slotDatabase, String slotPlugin) {
        return ignore.stream().anyMatch(m -> m.matches(slotName, slotType, slotDatabase, slotPlugin));
    }

    /**
     * Parses a PostgreSQL time value into seconds: a number (seconds) or a number with one of
     * {@code ms, s, min, h, d} ("30min", "1h"); milliseconds round up to whole seconds.
     *
     * @throws IllegalArgumentException when it is neither
     */
    static long parseSeconds(String text) {
        Matcher m = DURATION.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a duration");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        return switch (unit) {
            case "ms" -> (n + 999) / 1000;
            case "min" -> n * 60;
            case "h" -> n * 3600;
            case "d" -> n * 86400;
            default -> n;
        };
    }

    /** Reads the three keys of a dynamic config map, reporting problems with their key paths. */
    static SlotsConfig read(ConfigNode n) {
        long ttl = memberSlotsTtl(n);
        Map<String, PermanentSlot> permanent = permanent(n.map("slots"));
        List<IgnoreSlot> ignore = new ArrayList<>();
        List<JsonNode> items = n.list("ignore_slots");
        for (int i = 0; i < items.size(); i++) {
            String path = n.path("ignore_slots") + "[" + i + "]";
            JsonNode item = items.get(i);
            if (!item.isObject()) {
                n.issues().error(path, "must be a map with name, type, database or plugin, got "
                        + ConfigNode.describe(item));
                continue;
            }
            ConfigNode m = new ConfigNode(item, path, n.issues());
            String name = m.string("name", null);
            String type = m.string("type", null);
            if (type != null && !type.equals("physical") && !type.equals("logical")) {
                n.issues().error(m.path("type"), "must be physical or logical, got \"" + type + "\"");
            }
            String database = m.string("database", null);
            String plugin = m.string("plugin", null);
            m.finish();
            if (name == null && type == null && database == null && plugin == null) {
                n.issues().error(path, "must name at least one of name, type, database, plugin "
                        + "(an empty matcher would cover every slot)");
                continue;
            }
            ignore.add(new IgnoreSlot(name, type, database, plugin));
        }
        return new SlotsConfig(ttl, permanent, ignore);
    }

    private static long memberSlotsTtl(ConfigNode n) {
        JsonNode v = n.value("member_slots_ttl");
        if (v == null) {
            return DEFAULT_MEMBER_SLOTS_TTL;
        }
        if (v.isIntegralNumber() && v.canConvertToLong() && v.longValue() >= 0) {
            return v.longValue();
        }
        if (v.isTextual()) {
            try {
                return parseSeconds(v.textValue());
            } catch (IllegalArgumentException e) {
                // reported below
            }
        }
        n.issues().error(n.path("member_slots_ttl"), "must be a number of seconds >= 0 or a time such as \"30min\" "
                + "(units ms, s, min, h, d), got " + ConfigNode.describe(v));
        return DEFAULT_MEMBER_SLOTS_TTL;
    }

    private static Map<String, PermanentSlot> permanent(ConfigNode slots) {
        Map<String, PermanentSlot> out = new LinkedHashMap<>();
        for (Iterator<String> it = slots.keys(); it.hasNext();) {
            String name = it.next();
            String path = slots.path(name);
            JsonNode v = slots.value(name);
            if (!SLOT_NAME.matcher(name).matches()) {
                slots.issues().error(path, "is not a valid replication slot name: use 1 to 63 lower case letters, "
                        + "digits and underscores");
                continue;
            }
            if (v == null) {
                out.put(name, PermanentSlot.physical()); // Patroni: an empty value is a physical slot
                continue;
            }
            if (!v.isObject()) {
                slots.issues().error(path, "must be a map with type (physical or logical), database and plugin, got "
                        + ConfigNode.describe(v));
                continue;
            }
            ConfigNode s = new ConfigNode(v, path, slots.issues());
            String type = s.string("type", null);
            String database = s.string("database", null);
            String plugin = s.string("plugin", null);
            s.unsupported("cluster_type", "failover");
            s.finish();
            if (type == null) {
                type = database != null && plugin != null ? "logical" : "physical";
            }
            type = type.toLowerCase(Locale.ROOT);
            if (type.equals("physical")) {
                if (database != null || plugin != null) {
                    slots.issues().error(path, "a physical slot has no database or plugin");
                    continue;
                }
                out.put(name, PermanentSlot.physical());
            } else if (type.equals("logical")) {
                boolean ok = true;
                if (database == null || database.isBlank()) {
                    slots.issues().error(s.path("database"), "a logical slot needs the database it decodes");
                    ok = false;
                } else if (database.length() > 63 || database.chars().anyMatch(Character::isISOControl)) {
                    slots.issues().error(s.path("database"), "is not a database name (at most 63 characters, "
                            + "no control characters)");
                    ok = false;
                }
                if (plugin == null || plugin.isBlank()) {
                    slots.issues().error(s.path("plugin"), "a logical slot needs its output plugin (e.g. pgoutput)");
                    ok = false;
                } else if (plugin.length() > 63 || plugin.chars().anyMatch(Character::isISOControl)) {
                    slots.issues().error(s.path("plugin"), "is not a plugin name (at most 63 characters, "
                            + "no control characters)");
                    ok = false;
                }
                if (ok) {
                    out.put(name, PermanentSlot.logical(database, plugin));
                }
            } else {
                slots.issues().error(s.path("type"), "must be physical or logical, got \"" + type + "\"");
            }
        }
        return out;
    }

    /** Writes the keys in Patroni's shape; only what differs from the defaults. */
    void write(ObjectNode root) {
        if (memberSlotsTtl != DEFAULT_MEMBER_SLOTS_TTL) {
            root.put("member_slots_ttl", memberSlotsTtl);
        }
        if (!permanent.isEmpty()) {
            ObjectNode slots = root.putObject("slots");
            permanent.forEach((name, s) -> {
                ObjectNode o = slots.putObject(name);
                o.put("type", s.type());
                if (s.isLogical()) {
                    o.put("database", s.database());
                    o.put("plugin", s.plugin());
                }
            });
        }
        if (!ignore.isEmpty()) {
            var list = root.putArray("ignore_slots");
            for (IgnoreSlot m : ignore) {
                ObjectNode o = list.addObject();
                if (m.name() != null) {
                    o.put("name", m.name());
                }
                if (m.type() != null) {
                    o.put("type", m.type());
                }
                if (m.database() != null) {
                    o.put("database", m.database());
                }
                if (m.plugin() != null) {
                    o.put("plugin", m.plugin());
                }
            }
        }
    }
}
