package dev.baton.agent.process;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The environment of every program the agent runs (PostgreSQL, the pg_* tools, callbacks): the
 * agent's own without any {@code BATON_*} or {@code PATRONI_*} variable, then what the caller adds.
 * The agent's environment may hold the superuser's, the replication user's and etcd's passwords
 * ({@code PATRONI_SUPERUSER_PASSWORD}, ...): a callback script, an {@code archive_command} or
 * anyone who can read {@code /proc/<pid>/environ} of a postgres process would otherwise see them.
 */
public final class ChildEnvironment {
    private ChildEnvironment() {
    }

    /**
     * AWS credentials the agent may have for an S3 backup repository: Baton writes them into the
     * pgBackRest configuration file (mode 0600); no child gets them in its environment.
     */
    private static final java.util.Set<String> AWS_SECRETS = java.util.Set.of("AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN");

    /**
     * Whether a variable of the agent's stays out of its children (the prefixes in any case): Baton's
     * and Patroni's, the AWS credentials, and {@code PGBACKREST_*} (which would override the
     * pgBackRest configuration Baton writes).
     */
    public static boolean isWithheld(String name) {
        String upper = name.toUpperCase(Locale.ROOT);
        return upper.startsWith("BATON_") || upper.startsWith("PATRONI_") || upper.startsWith("PGBACKREST_")
                || AWS_SECRETS.contains(upper);
    }

    /**
     * @param inherited the agent's environment
     * @param extra     what the caller sets for this program (it wins, and is never filtered)
     */
    public static Map<String, String> of(Map<String, String> inherited, Map<String, String> extra) {
        Map<String, String> env = new LinkedHashMap<>();
        inherited.forEach((k, v) -> {
            if (!isWithheld(k)) {
                env.put(k, v);
            }
        });
        env.putAll(extra);
        return env;
    }
}
