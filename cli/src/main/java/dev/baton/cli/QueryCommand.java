package dev.baton.cli;

import dev.baton.agent.postgres.PgJdbcTls;
import dev.baton.config.BatonConfig;
import dev.baton.config.Credentials;
import dev.baton.leader.model.MemberStatus;
import java.io.Console;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "query", description = {"Run SQL on a member (the leader by default), as patronictl query.",
        "Connects with the PostgreSQL JDBC driver to the member's conn_url. The user: -U, else the superuser of",
        "the configuration file, else PGUSER, else postgres. Its password: --password asks for it; else the",
        "configuration file's (for its superuser), else PGPASSWORD; never an argument. -c is the SQL here, as in",
        "patronictl: give the configuration file before the command (baton -c FILE query ...) or as --config."})
public final class QueryCommand extends BaseCommand {

    /** The cluster options without {@code -c}, which is the SQL command here. */
    static final class Cluster extends ClusterSelection {
        @Option(names = {"--config", "--config-file"}, paramLabel = "FILE",
                description = "Agent configuration (Patroni-style YAML); or baton -c FILE query.")
        void config(Path file) {
            this.config = file;
        }
    }

    @Mixin
    Cluster cluster;

    @Option(names = {"-r", "--role"}, paramLabel = "ROLE",
            description = "Run on a member with this role: leader (default), primary, replica or any.")
    String role;

    @Option(names = {"-m", "--member"}, paramLabel = "NAME", description = "Run on this member.")
    String member;

    @Option(names = {"-c", "--command"}, paramLabel = "SQL", description = "The SQL to run.")
    String command;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "Run the SQL in this file (- for standard input).")
    String file;

    @Option(names = {"-d", "--dbname"}, paramLabel = "NAME",
            description = "Database (default: PGDATABASE, else the user's name, as libpq).")
    String dbname;

    @Option(names = {"-U", "--username"}, paramLabel = "USER", description = "Database user.")
    String username;

    @Option(names = "--password", description = "Ask for the password.")
    boolean askPassword;

    @Option(names = "--format", defaultValue = "tsv", paramLabel = "FORMAT",
            description = "tsv (default), pretty (or table), json or yaml.")
    String format;

    @Option(names = "--delimiter", defaultValue = "\t", paramLabel = "TEXT",
            description = "The column delimiter of tsv (default: a tab).")
    String delimiter;

    @Mixin
    WatchOptions watch;

    /** Where a connection is opened; a field so that a test can replace it. */
    Connector connector = DriverManager::getConnection;

    /** Opens a JDBC connection. */
    interface Connector {
        Connection open(String url, Properties properties) throws SQLException;
    }

    /** How to connect: the JDBC URL and the properties, the password among them (never printed). */
    record Target(String url, Properties properties) {
        @Override
        public String toString() {
            return "Target[" + url + ", user=" + properties.getProperty("user") + "]";
        }
    }

    @Override
    protected int execute() throws InterruptedException {
        String f = BaseCommand.format(format.equals("table") ? "pretty" : format, "tsv", "pretty", "json", "yaml");
        if (member != null && role != null) {
            throw ExitException.badInput("--role and --member are mutually exclusive options");
        }
        if (role != null) {
            MemberChoice.role(role);
        }
        if (command != null && file != null) {
            throw ExitException.badInput("--file and --command are mutually exclusive options");
        }
        if (command == null && file == null) {
            throw ExitException.badInput("give the SQL to run: --command SQL or --file FILE");
        }
        long every = watch.millis();
        String sql = command != null ? command : readFile();
        Path configFile = cluster.config();
        // Its warnings are printed once, when the cluster is resolved from it below.
        BatonConfig config = configFile == null ? null : ConfigSupport.load(configFile, System.getenv(),
                new java.io.PrintWriter(java.io.Writer.nullWriter()));
        String password = askPassword ? askPassword() : null;
        Baton.Watch w = spec.root().userObject() instanceof Baton b ? b.watch : new Baton.Watch(Thread::sleep,
                Long.MAX_VALUE);
        int code = EXIT_OK;
        try (ClusterSession s = cluster.connect(err())) {
            for (long round = 1; ; round++) {
                MemberStatus m = MemberChoice.choose(s.view(), s.scope(), role, member);
                Target t = target(m, config, username, password, dbname, System.getenv());
                code = Math.max(code, run(m, t, sql, f));
                out().flush();
                if (every == 0 || round >= w.maxRefreshes()) {
                    return code;
                }
                w.sleeper().sleep(every);
            }
        }
    }

    /** Runs {@code sql} once on {@code m}; prints the last result; exit 1 for an error, printed as patronictl does. */
    private int run(MemberStatus m, Target t, String sql, String f) {
        try (Connection c = connector.open(t.url(), t.properties()); Statement st = c.createStatement()) {
            String r = role == null ? (member == null ? "leader" : "any") : MemberChoice.role(role);
            if (r.equals("primary") || r.equals("replica")) {
                try (ResultSet rs = st.executeQuery("SELECT pg_catalog.pg_is_in_recovery()")) {
                    rs.next();
                    if (rs.getBoolean(1) != r.equals("replica")) {
                        return failed(f, "No connection to role=" + role + " is available",
                                m.name() + " is " + (rs.getBoolean(1) ? "in recovery" : "not in recovery")
                                        + ", so it is no " + r + " member");
                    }
                }
            }
            Result result = null;
            boolean isResultSet = st.execute(sql);
            while (true) {
                if (isResultSet) {
                    try (ResultSet rs = st.getResultSet()) {
                        result = Result.of(rs);
                    }
                } else if (st.getUpdateCount() == -1) {
                    break;
                }
                isResultSet = st.getMoreResults();
            }
            if (result != null) {
                out().print(render(result, f, delimiter));
            }
            return EXIT_OK;
        } catch (SQLException e) {
            String state = e.getSQLState();
            return failed(f, "ERROR, SQLSTATE: " + (state != null ? state : String.valueOf(e.getMessage()).replace('\n', ' ')),
                    "query on " + m.name() + " failed: " + (state != null ? "SQLSTATE " + state + ": " : "")
                            + String.valueOf(e.getMessage()).replace('\n', ' '));
        }
    }

    /** patronictl's line for a failed query (the time, then the error) on standard output, and why on standard error. */
    private int failed(String f, String patronictlLine, String why) {
        if (f.equals("tsv") || f.equals("pretty")) {
            out().println(ListCommand.timestamp(LocalDateTime.now()) + delimiter + patronictlLine);
        }
        err().println("baton: " + why);
        return EXIT_FAILED;
    }

    /** Column names and rows of one result, each value as the driver returns it. */
    record Result(List<String> columns, List<List<Object>> rows) {
        static Result of(ResultSet rs) throws SQLException {
            ResultSetMetaData md = rs.getMetaData();
            List<String> columns = new ArrayList<>();
            for (int i = 1; i <= md.getColumnCount(); i++) {
                columns.add(md.getColumnLabel(i));
            }
            List<List<Object>> rows = new ArrayList<>();
            while (rs.next()) {
                List<Object> row = new ArrayList<>();
                for (int i = 1; i <= columns.size(); i++) {
                    row.add(rs.getObject(i));
                }
                rows.add(row);
            }
            return new Result(columns, rows);
        }
    }

    /** The result as patronictl prints it: tsv (header line first), pretty (a table), json or yaml (a list of maps). */
    static String render(Result r, String format, String delimiter) {
        switch (format) {
            case "json", "yaml" -> {
                var a = Formats.JSON.createArrayNode();
                for (List<Object> row : r.rows()) {
                    var n = a.addObject();
                    for (int i = 0; i < r.columns().size(); i++) {
                        Object v = row.get(i);
                        if (v == null) {
                            n.putNull(r.columns().get(i));
                        } else if (v instanceof Boolean b) {
                            n.put(r.columns().get(i), b);
                        } else if (v instanceof Integer || v instanceof Long || v instanceof Short) {
                            n.put(r.columns().get(i), ((Number) v).longValue());
                        } else if (v instanceof Number num) {
                            n.put(r.columns().get(i), new java.math.BigDecimal(num.toString()));
                        } else {
                            n.put(r.columns().get(i), v.toString());
                        }
                    }
                }
                return format.equals("json") ? a + "\n" : Formats.yaml(a);
            }
            case "pretty" -> {
                List<String[]> cells = new ArrayList<>();
                boolean[] right = new boolean[r.columns().size()];
                for (List<Object> row : r.rows()) {
                    cells.add(row.stream().map(QueryCommand::text).toArray(String[]::new));
                }
                return Formats.table(null, r.columns().toArray(String[]::new), cells, right);
            }
            default -> {
                StringBuilder sb = new StringBuilder(String.join(delimiter, r.columns())).append('\n');
                for (List<Object> row : r.rows()) {
                    sb.append(String.join(delimiter, row.stream().map(QueryCommand::text).toList())).append('\n');
                }
                return sb.toString();
            }
        }
    }

    /** A value as patronictl (Python's str) prints it: None, True, False, else its text. */
    static String text(Object v) {
        if (v == null) {
            return "None";
        }
        if (v instanceof Boolean b) {
            return b ? "True" : "False";
        }
        return v.toString();
    }

    /**
     * The connection to member {@code m}: its conn_url's host and port; the user -U, else the
     * configuration's superuser, else PGUSER, else postgres; the password asked, else the
     * configuration's for its superuser, else PGPASSWORD; the superuser's TLS options when
     * connecting as it, else PGSSLMODE.
     */
    static Target target(MemberStatus m, BatonConfig config, String username, String askedPassword, String dbname,
                         Map<String, String> env) {
        if (m.host() == null) {
            throw ExitException.failed("member " + m.name() + " publishes no conn_url: its PostgreSQL address is unknown");
        }
        Credentials su = config == null ? null : config.postgresql().authentication().superuser();
        String user = username != null ? username : su != null ? su.username() : nonEmpty(env.get("PGUSER"), "postgres");
        boolean asSuperuser = su != null && su.username().equals(user);
        String password = askedPassword != null ? askedPassword : asSuperuser && su.password() != null ? su.password()
                : env.get("PGPASSWORD");
        String db = dbname != null ? dbname : nonEmpty(env.get("PGDATABASE"), user);
        String host = m.host().contains(":") ? "[" + m.host() + "]" : m.host();
        Properties p = new Properties();
        p.setProperty("user", user);
        if (password != null && !password.isEmpty()) {
            p.setProperty("password", password);
        }
        p.setProperty("connectTimeout", "5");
        p.setProperty("ApplicationName", "baton query");
        if (asSuperuser) {
            p.putAll(tls(su.libpqOptions()));
        } else if (env.get("PGSSLMODE") != null && !env.get("PGSSLMODE").isEmpty()) {
            p.setProperty("sslmode", env.get("PGSSLMODE"));
        }
        return new Target("jdbc:postgresql://" + host + ":" + m.port() + "/" + db, p);
    }

    /** The superuser's libpq options as pgjdbc properties, as the agent connects (PgJdbcTls). */
    static Properties tls(Map<String, String> libpq) {
        Properties p = new Properties();
        libpq.forEach((keyword, value) -> {
            switch (keyword) {
                case "sslmode", "sslrootcert", "sslcert", "sslkey", "sslpassword" -> p.setProperty(keyword, value);
                case "gssencmode" -> p.setProperty("gssEncMode", value);
                case "channel_binding" -> p.setProperty("channelBinding", value);
                default -> {
                    // sslcrl, sslcrldir: pgjdbc has no revocation lists
                }
            }
        });
        if (!libpq.isEmpty() && !"disable".equals(p.getProperty("sslmode"))) {
            p.setProperty("sslfactory", PgJdbcTls.SocketFactory.class.getName());
        }
        return p;
    }

    private static String nonEmpty(String v, String otherwise) {
        return v == null || v.isEmpty() ? otherwise : v;
    }

    private String readFile() {
        if (file.equals("-")) {
            return input().readAll();
        }
        try {
            return Files.readString(Path.of(file));
        } catch (IOException e) {
            throw ExitException.badInput("--file: cannot read " + file + ": " + e.getMessage());
        }
    }

    private String askPassword() {
        Console console = System.console();
        if (console != null) {
            char[] p = console.readPassword("Password: ");
            return p == null ? "" : new String(p);
        }
        if (!input().interactive()) {
            throw ExitException.badInput("--password asks for the password, but standard input is not a terminal: "
                    + "set PGPASSWORD instead");
        }
        String p = ask("Password: ");
        return p == null ? "" : p;
    }
}
