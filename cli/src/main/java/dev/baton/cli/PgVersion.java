package dev.baton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.agent.client.AgentClient;
import dev.baton.leader.model.MemberStatus;
import java.time.Duration;

/** PostgreSQL versions as Patroni compares them: {@code server_version} numbers (15.4 is 150004). */
final class PgVersion {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private PgVersion() {
    }

    /**
     * Patroni's {@code postgres_version_to_int}: MAJOR.MINOR from 10 on (15.4), MAJOR.MINOR.PATCH
     * before (9.6.24); exit 2 for anything else.
     */
    static int parse(String text) {
        String[] parts = text == null ? new String[0] : text.strip().split("\\.", -1);
        int[] c = new int[parts.length];
        try {
            for (int i = 0; i < parts.length; i++) {
                if (!parts[i].matches("\\d{1,2}")) {
                    throw new NumberFormatException(parts[i]);
                }
                c[i] = Integer.parseInt(parts[i]);
            }
        } catch (NumberFormatException e) {
            throw bad(text);
        }
        if (c.length == 2 && c[0] >= 10) {
            return c[0] * 10000 + c[1];
        }
        if (c.length == 3 && c[0] < 10) {
            return c[0] * 10000 + c[1] * 100 + c[2];
        }
        throw bad(text);
    }

    private static ExitException bad(String text) {
        return ExitException.badInput("--pg-version: \"" + text + "\" is not a PostgreSQL version: give MAJOR.MINOR "
                + "(15.4), or MAJOR.MINOR.PATCH before 10 (9.6.24)");
    }

    /** 150004 as 15.4, 90624 as 9.6.24, as patronictl prints them. */
    static String format(int v) {
        return v < 100000 ? v / 10000 + "." + v / 100 % 100 + "." + v % 100 : v / 10000 + "." + v % 100;
    }

    /** The {@code server_version} a member reports on {@code GET /patroni}, or null when it reports none. */
    static Integer ofMember(AgentApi api, MemberStatus m) {
        AgentClient.Reply r = api.call(m, "GET", "patroni", TIMEOUT, (c, base) -> c.get(base, "/patroni", TIMEOUT));
        JsonNode v = r.status() == 200 ? r.json().get("server_version") : null;
        return v != null && v.canConvertToInt() && v.intValue() > 0 ? v.intValue() : null;
    }
}
