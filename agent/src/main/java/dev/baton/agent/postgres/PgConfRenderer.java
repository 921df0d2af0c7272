package dev.baton.agent.postgres;

import dev.baton.config.Credentials;
import dev.baton.config.PgParameterNames;
import dev.baton.config.PgParameterRules;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The text of the files Baton writes for PostgreSQL, as pure functions (no I/O; {@link PgConfFiles}
 * writes them): postgresql.conf, pg_hba.conf, libpq connection strings and the pgpass file. The
 * split follows CloudNativePG's pure {@code pkg/postgres/configuration.go} and its writer.
 *
 * <p>Each format has its own quoting, and values come from configuration files and etcd, so
 * anything may be in them. A value must come back unchanged through PostgreSQL's parser, and can
 * never end a line or a quoted string early (which would add settings of its own choosing). A
 * control character (a line break, a NUL, an escape) is refused in every value, as the
 * configuration loader refuses it ({@link PgParameterRules}): none is ever meant, and a refusal
 * here names what is wrong where a file would otherwise be cut short.
 */
public final class PgConfRenderer {
    /** The first line of every file Baton owns. */
    public static final String HEADER = "# Written by Baton. Do not edit: set parameters in Baton's configuration.";

    /** The file initdb wrote, kept and included first by postgresql.conf. */
    public static final String BASE_CONF = "postgresql.base.conf";

    /** A role name that pg_hba.conf reads as itself without quotes. */
    private static final Pattern PLAIN_ROLE = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.$-]*");

    private PgConfRenderer() {
    }

    /**
     * postgresql.conf: the header, the include of {@link #BASE_CONF}, then one line per parameter
     * in the map's order.
     *
     * @throws IllegalArgumentException a name is not a parameter name or a value holds a control character
     */
    public static String postgresqlConf(Map<String, String> parameters) {
        StringBuilder sb = new StringBuilder(HEADER).append('\n');
        sb.append("include ").append(gucString(BASE_CONF)).append('\n');
        parameters.forEach((name, value) -> sb.append(parameterLine(name, value)).append('\n'));
        return sb.toString();
    }

    /**
     * One {@code name = 'value'} line, without its line break.
     *
     * @throws IllegalArgumentException a name is not a parameter name or a value holds a control character
     */
    static String parameterLine(String name, String value) {
        return checkName(name) + " = " + gucValue(name, value);
    }

    /**
     * {@code name} if PostgreSQL would read it as a parameter name. Anything else written as is
     * could turn the line into something else: {@code "x = 1\ninclude_if_exists"} or
     * {@code "include_dir"} would make PostgreSQL read a file of someone's choosing.
     *
     * @throws IllegalArgumentException naming the parameter
     */
    static String checkName(String name) {
        PgParameterNames.problem(name).ifPresent(p -> {
            throw new IllegalArgumentException("\"" + printable(name) + "\" " + p + ": Baton does not write it");
        });
        return name;
    }

    /**
     * The value of parameter {@code name} as a postgresql.conf string literal.
     *
     * @throws IllegalArgumentException the value holds a control character (the message names the parameter)
     */
    static String gucValue(String name, String value) {
        PgParameterRules.valueProblem(value).ifPresent(p -> {
            throw new IllegalArgumentException("the value of parameter " + name + " " + p);
        });
        return gucString(value);
    }

    /**
     * A postgresql.conf string literal of a value without control characters: single quotes, with
     * {@code '} and {@code \} doubled (PostgreSQL's lexer reads {@code ''} and {@code \\} back as
     * one each). An ordinary value is just quoted.
     */
    static String gucString(String value) {
        return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'";
    }

    /** pg_hba.conf: the header, then the lines as given. */
    public static String pgHba(List<String> lines) {
        return HEADER + "\n" + String.join("\n", lines) + "\n";
    }

    /** The pg_hba lines Baton writes when the configuration has none: scram everywhere, peer locally. */
    public static List<String> defaultHba(String replicationUser) {
        String repl = hbaRole(replicationUser);
        return List.of(
                "local   all          all                  peer",
                "host    all          all        127.0.0.1/32  scram-sha-256",
                "host    all          all        ::1/128       scram-sha-256",
                "host    replication  " + repl + "  127.0.0.1/32  scram-sha-256",
                "host    replication  " + repl + "  ::1/128       scram-sha-256",
                "host    all          all        0.0.0.0/0     scram-sha-256",
                "host    replication  " + repl + "  0.0.0.0/0     scram-sha-256");
    }

    /**
     * A role name in a pg_hba.conf line: as is when it is a plain name, else double-quoted, so
     * that spaces, commas, {@code #}, a leading {@code +} (group), {@code @} (file) or {@code /}
     * (regular expression) and the keyword {@code all} stay one literal role name.
     *
     * @throws IllegalArgumentException the name holds a double quote or a line break, which pg_hba.conf cannot quote
     */
    static String hbaRole(String role) {
        if (PLAIN_ROLE.matcher(role).matches() && !role.equals("all")) {
            return role;
        }
        if (role.indexOf('"') >= 0 || role.indexOf('\n') >= 0 || role.indexOf('\r') >= 0) {
            throw new IllegalArgumentException("the role name \"" + printable(role)
                    + "\" cannot be written in pg_hba.conf (it holds a double quote or a line break)");
        }
        return "\"" + role + "\"";
    }

    /**
     * Where and how a program of Baton's connects: a libpq connection string with a passfile
     * instead of a password.
     *
     * @param dbname null for none (a replication connection)
     */
    public record Conninfo(String host, int port, String user, String dbname, Path passfile, String applicationName) {
        /**
         * {@code host='…' port=N user='…' [dbname='…'] passfile='…' application_name='…' connect_timeout=3}.
         *
         * @throws IllegalArgumentException a value holds a control character (the message names the keyword)
         */
        public String text() {
            checkConninfo("host", host);
            checkConninfo("user", user);
            checkConninfo("dbname", dbname);
            checkConninfo("passfile", passfile.toString());
            checkConninfo("application_name", applicationName);
            StringBuilder sb = new StringBuilder();
            sb.append("host=").append(libpqValue(host)).append(" port=").append(port)
                    .append(" user=").append(libpqValue(user));
            if (dbname != null) {
                sb.append(" dbname=").append(libpqValue(dbname));
            }
            sb.append(" passfile=").append(libpqValue(passfile.toString()))
                    .append(" application_name=").append(libpqValue(applicationName))
                    .append(" connect_timeout=3");
            return sb.toString();
        }
    }

    private static void checkConninfo(String keyword, String value) {
        PgParameterRules.forbiddenCharacter(value).ifPresent(c -> {
            throw new IllegalArgumentException("the connection string's " + keyword + " \"" + printable(value)
                    + "\" contains " + c + ", which Baton does not write");
        });
    }

    /** A libpq connection string value: single quotes, with {@code \} and {@code '} backslash-escaped. */
    static String libpqValue(String v) {
        return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    /**
     * The pgpass file: {@code *:*:*:user:password}, one line per role that has a password, in
     * the order given.
     *
     * @throws IllegalArgumentException a name or password holds a control character: a line break
     *                                  would end the line, and libpq reads no escape for the others
     *                                  (the message names the role, never the password)
     */
    public static String pgpass(List<Credentials> roles) {
        StringBuilder sb = new StringBuilder();
        for (Credentials c : roles) {
            if (c.password() != null) {
                if (PgParameterRules.forbiddenCharacter(c.username()).isPresent()
                        || PgParameterRules.forbiddenCharacter(c.password()).isPresent()) {
                    throw new IllegalArgumentException("the name or password of the role \"" + printable(c.username())
                            + "\" contains a control character, which Baton does not write into a pgpass file");
                }
                sb.append("*:*:*:").append(pgpassField(c.username())).append(':')
                        .append(pgpassField(c.password())).append('\n');
            }
        }
        return sb.toString();
    }

    /** A pgpass field: {@code \} and {@code :} backslash-escaped. */
    static String pgpassField(String s) {
        return s.replace("\\", "\\\\").replace(":", "\\:");
    }

    private static String printable(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            sb.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return sb.toString();
    }
}
