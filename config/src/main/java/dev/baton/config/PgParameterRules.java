package dev.baton.config;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What Baton refuses in PostgreSQL parameters wherever they come from (the YAML's
 * {@code postgresql.parameters}, {@code bootstrap.dcs} and the etcd {@code config} key, hence
 * {@code edit-config}), before anything reaches postgresql.conf:
 * <ul>
 *   <li>control characters in a value: postgresql.conf could carry most of them escaped, but a
 *       newline or a carriage return in a value is never meant, and an operator who sees the
 *       refusal learns it now rather than from a replica that no longer starts;</li>
 *   <li>parameters Baton owns: it sets them itself (the address, the role, where a replica streams
 *       from), and a value from the configuration would either be overwritten without a word or,
 *       worse, win (a {@code recovery_target} or {@code promote_trigger_file} on a replica).</li>
 * </ul>
 * Patroni drops the parameters it owns silently ({@code CMDLINE_OPTIONS} and its recovery
 * parameters); Baton says so instead. {@code restore_command}, {@code archive_cleanup_command},
 * {@code recovery_end_command} and {@code recovery_min_apply_delay} stay allowed: they are the
 * operator's (WAL archives, delayed replicas), and Patroni passes them on too.
 */
public final class PgParameterRules {
    private static final String ADDRESS = "Baton sets it from postgresql.listen";
    private static final String FILES = "Baton keeps PostgreSQL's files in postgresql.data_dir and writes pg_hba.conf "
            + "from postgresql.pg_hba";
    private static final String STREAMING = "Baton decides where a replica streams from and when a server is promoted";

    /** Lower-case name to the reason it may not be given. */
    private static final Map<String, String> OWNED = Map.ofEntries(
            Map.entry("listen_addresses", ADDRESS),
            Map.entry("port", ADDRESS),
            Map.entry("cluster_name", "Baton sets it to the scope"),
            Map.entry("data_directory", FILES),
            Map.entry("config_file", FILES),
            Map.entry("hba_file", FILES),
            Map.entry("ident_file", FILES),
            Map.entry("hot_standby", "Baton always sets it on (it reads a replica's state over SQL)"),
            Map.entry("primary_conninfo", STREAMING),
            Map.entry("primary_slot_name", STREAMING),
            Map.entry("promote_trigger_file", STREAMING),
            Map.entry("trigger_file", STREAMING),
            Map.entry("standby_mode", STREAMING),
            Map.entry("recovery_target", STREAMING),
            Map.entry("recovery_target_name", STREAMING),
            Map.entry("recovery_target_time", STREAMING),
            Map.entry("recovery_target_xid", STREAMING),
            Map.entry("recovery_target_lsn", STREAMING),
            Map.entry("recovery_target_inclusive", STREAMING),
            Map.entry("recovery_target_timeline", STREAMING),
            Map.entry("recovery_target_action", STREAMING));

    private PgParameterRules() {
    }

    /**
     * Why {@code name} may not be set from the configuration, or empty if it may. Names are
     * compared without case, as PostgreSQL does. {@code hot_standby} set to on is what Baton
     * writes anyway and is allowed (many Patroni files carry it).
     */
    public static Optional<String> ownedProblem(String name, String value) {
        String lower = name.toLowerCase(Locale.ROOT);
        String reason = OWNED.get(lower);
        if (reason == null || lower.equals("hot_standby") && isOn(value)) {
            return Optional.empty();
        }
        return Optional.of("is set by Baton and may not be given here (" + reason + ")");
    }

    /** Whether {@code name} is one of the parameters Baton sets itself. */
    public static boolean isOwned(String name) {
        return OWNED.containsKey(name.toLowerCase(Locale.ROOT));
    }

    /**
     * Why {@code value} cannot be a parameter value, or empty if it can: it holds a control
     * character (below U+0020, or U+007F) or half of a UTF-16 surrogate pair (which no file
     * encoding can carry), named by its code, never by the value.
     */
    public static Optional<String> valueProblem(String value) {
        return forbiddenCharacter(value).map(c -> "contains " + c
                + "; parameter values may not contain control characters");
    }

    /**
     * The first character of {@code s} that Baton writes into no file, described with its code
     * ({@code the control character U+000A}), or empty. For values that a line break or a NUL
     * would cut short (postgresql.conf, conninfo, pgpass).
     */
    public static Optional<String> forbiddenCharacter(String s) {
        if (s == null) {
            return Optional.empty();
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                return Optional.of(String.format("the control character U+%04X", (int) c));
            }
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return Optional.of(String.format("the unpaired surrogate U+%04X", (int) c));
            }
        }
        return Optional.empty();
    }

    private static boolean isOn(String value) {
        return value != null && switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "on", "true", "yes", "1" -> true;
            default -> false;
        };
    }
}
