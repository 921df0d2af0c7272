package dev.baton.agent.postgres;

import dev.baton.config.Credentials;
import dev.baton.config.PgParameterNames;
import dev.baton.config.PgParameterRules;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The text of the files Baton writes for PostgreSQL, as pure functions (no I/O; {@link PgConfFiles}
 * writes them): postgresql.conf, pg_hba.conf, libpq connection strings, the pgpass file and a
 * libpq service file. The
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

    /** A libpq connection keyword (letters, digits and underscores). */
    private static final Pattern LIBPQ_KEYWORD = Pattern.compile("[a-z][a-z0-9_]*");

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

    /**
     * The pg_hba lines Baton writes when the configuration has none. Locally (the Unix socket,
     * peer) and from the server's own addresses ({@code samehost}: loopback and the agent's own
     * connection to its listen address) everyone may log in, the superuser included, as before.
     * From the network the superuser may not log in at all: a leaked or guessed superuser password
     * is then of no use from another host. The replication and rewind roles, and every other role,
     * may log in from the network with scram-sha-256; over TLS only ({@code hostssl}) when the
     * server has TLS on.
     *
     * @param rewind the rewind role, or null when pg_rewind connects as the superuser (it can then
     *               do so only from the server's own host: configure a rewind user)
     * @param ssl    whether the server has {@code ssl} on
     * @throws IllegalArgumentException a role name cannot be written in pg_hba.conf
     */
    public static List<String> defaultHba(String superuser, String replication, String rewind, boolean ssl) {
        return defaultHba(superuser, replication, rewind, ssl, false);
    }

    /**
     * {@link #defaultHba(String, String, String, boolean)}; with {@code localSuperuserPassword} (a
     * backup repository: pgBackRest connects over the Unix socket as the superuser, whose operating
     * system user may have another name; or {@code use_unix_socket}: the agent does) the superuser
     * logs in locally with its password,
     * {@code local all <superuser> scram-sha-256}, before the peer line.
     */
    public static List<String> defaultHba(String superuser, String replication, String rewind, boolean ssl,
                                          boolean localSuperuserPassword) {
        String su = hbaRole(superuser);
        String repl = hbaRole(replication);
        String net = ssl ? "hostssl" : "host   ";
        List<String> lines = new ArrayList<>();
        if (localSuperuserPassword) {
            lines.add("local   all          " + su + "  scram-sha-256");
        }
        lines.addAll(List.of(
                "local   all          all                   peer",
                "host    all          all         127.0.0.1/32  scram-sha-256",
                "host    all          all         ::1/128       scram-sha-256",
                "host    all          all         samehost      scram-sha-256",
                "host    replication  " + repl + "  127.0.0.1/32  scram-sha-256",
                "host    replication  " + repl + "  ::1/128       scram-sha-256",
                "host    replication  " + repl + "  samehost      scram-sha-256",
                net + " replication  " + repl + "  0.0.0.0/0     scram-sha-256",
                net + " replication  " + repl + "  ::/0          scram-sha-256"));
        if (rewind != null && !rewind.equals(superuser)) {
            String rew = hbaRole(rewind);
            lines.add(net + " postgres     " + rew + "  0.0.0.0/0     scram-sha-256");
            lines.add(net + " postgres     " + rew + "  ::/0          scram-sha-256");
        }
        // The first matching line decides: the superuser is turned away before "all" admits it.
        lines.add("host    all          " + su + "  0.0.0.0/0     reject");
        lines.add("host    all          " + su + "  ::/0          reject");
        lines.add(net + " all          all         0.0.0.0/0     scram-sha-256");
        lines.add(net + " all          all         ::/0          scram-sha-256");
        return List.copyOf(lines);
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
     * instead of a password, and the role's libpq options ({@link Credentials#libpqOptions}:
     * {@code sslmode}, {@code sslrootcert}, ...).
     *
     * @param dbname  null for none (a replication connection)
     * @param options libpq keywords and values, written in the map's order after Baton's own
     */
    public record Conninfo(String host, int port, String user, String dbname, Path passfile, String applicationName,
                           Map<String, String> options) {
        public Conninfo {
            options = options == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(options));
        }

        /** Without options. */
        public Conninfo(String host, int port, String user, String dbname, Path passfile, String applicationName) {
            this(host, port, user, dbname, passfile, applicationName, Map.of());
        }

        /**
         * {@code host='…' port=N user='…' [dbname='…'] passfile='…' application_name='…'
         * connect_timeout=3 [option='…' …]}.
         *
         * @throws IllegalArgumentException a value holds a control character (the message names the
         *                                  keyword, never a secret's value)
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
            options.forEach((keyword, value) -> {
                if (!LIBPQ_KEYWORD.matcher(keyword).matches()) {
                    throw new IllegalArgumentException("\"" + printable(keyword) + "\" is not a libpq keyword");
                }
                if (PgParameterRules.forbiddenCharacter(value).isPresent()) {
                    throw new IllegalArgumentException("the connection string's " + keyword
                            + " contains a control character, which Baton does not write");
                }
                sb.append(' ').append(keyword).append('=').append(libpqValue(value));
            });
            return sb.toString();
        }

        /** This connection string without the secret options ({@link Credentials#SECRET_KEYWORDS}). */
        public Conninfo withoutSecrets() {
            Map<String, String> kept = new LinkedHashMap<>(options);
            kept.keySet().removeAll(Credentials.SECRET_KEYWORDS);
            return new Conninfo(host, port, user, dbname, passfile, applicationName, kept);
        }

        /** The secret options alone, for a service file: argv must never carry them. */
        public Map<String, String> secrets() {
            Map<String, String> secret = new LinkedHashMap<>(options);
            secret.keySet().retainAll(Credentials.SECRET_KEYWORDS);
            return secret;
        }
    }

    /**
     * A libpq service file ({@code PGSERVICEFILE}) holding one service: a value runs to the end of
     * its line, so there is no quoting, and libpq strips trailing white space.
     *
     * @throws IllegalArgumentException a value holds a control character or ends with white space
     *                                  (the message names the keyword only)
     */
    public static String serviceFile(String service, Map<String, String> options) {
        StringBuilder sb = new StringBuilder("[").append(service).append("]\n");
        options.forEach((keyword, value) -> {
            if (PgParameterRules.forbiddenCharacter(value).isPresent()
                    || !value.isEmpty() && Character.isWhitespace(value.charAt(value.length() - 1))) {
                throw new IllegalArgumentException("the " + keyword + " contains a control character or ends with "
                        + "white space, which a libpq service file cannot carry");
            }
            sb.append(keyword).append('=').append(value).append('\n');
        });
        return sb.toString();
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

    /** One pgpass line: the server ({@code host:port}) it is for, and the role and its password. */
    public record PgpassEntry(String host, int port, Credentials role) {
    }

    /**
     * The pgpass file: {@code host:port:*:user:password}, one line per entry whose role has a
     * password, in the order given, each line once. libpq compares the host field with the
     * {@code host} of the connection string as written, so {@code host} is the one Baton connects to.
     *
     * @throws IllegalArgumentException a host, name or password holds a control character: a line
     *                                  break would end the line, and libpq reads no escape for the
     *                                  others (the message names the role, never the password)
     */
    public static String pgpass(List<PgpassEntry> entries) {
        Set<String> lines = new LinkedHashSet<>();
        for (PgpassEntry e : entries) {
            Credentials c = e.role();
            if (c.password() != null) {
                if (PgParameterRules.forbiddenCharacter(c.username()).isPresent()
                        || PgParameterRules.forbiddenCharacter(c.password()).isPresent()
                        || PgParameterRules.forbiddenCharacter(e.host()).isPresent()) {
                    throw new IllegalArgumentException("the host, name or password of the role \""
                            + printable(c.username())
                            + "\" contains a control character, which Baton does not write into a pgpass file");
                }
                lines.add(pgpassField(e.host()) + ":" + e.port() + ":*:" + pgpassField(c.username()) + ':'
                        + pgpassField(c.password()) + '\n');
            }
        }
        return String.join("", lines);
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
