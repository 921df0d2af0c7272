package dev.baton.cli.drill;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The load-balanced endpoint of an existing cluster, given as a JDBC URL
 * ({@code jdbc:postgresql://lb:5000/app?user=u&password=p}), a libpq URI
 * ({@code postgresql://u:p@lb:5000/app?sslmode=require}) or libpq key=value pairs
 * ({@code host=lb port=5000 dbname=app user=u}). The user and password default to the given
 * ones (the superuser of the agent configuration, or PGPASSWORD).
 *
 * @param jdbcUrl  the JDBC URL without user and password
 * @param display  the endpoint as shown in the report (never with the password)
 */
public record Dsn(String jdbcUrl, String user, String password, String database, String display) {

    /** JDBC connection properties for a short call as this user: connect 2 s, login 3 s, socket 5 s. */
    public Properties shortCallProperties(String applicationName) {
        Properties p = new Properties();
        if (user != null) {
            p.setProperty("user", user);
        }
        if (password != null) {
            p.setProperty("password", password);
        }
        p.setProperty("connectTimeout", "2");
        p.setProperty("loginTimeout", "3");
        p.setProperty("socketTimeout", "5");
        p.setProperty("ApplicationName", applicationName);
        return p;
    }

    /** @throws IllegalArgumentException with a message for the user when the text is not a DSN */
    public static Dsn parse(String text, String defaultUser, String defaultPassword) {
        String t = text == null ? "" : text.strip();
        if (t.isEmpty()) {
            throw new IllegalArgumentException("--dsn is empty");
        }
        if (t.startsWith("jdbc:postgresql:")) {
            return fromUrl(t.substring("jdbc:postgresql:".length()), defaultUser, defaultPassword, true);
        }
        if (t.startsWith("postgresql://") || t.startsWith("postgres://")) {
            return fromUrl(t.substring(t.indexOf(':') + 1), defaultUser, defaultPassword, false);
        }
        if (t.contains("=") && !t.contains("://")) {
            return fromPairs(t, defaultUser, defaultPassword);
        }
        throw new IllegalArgumentException("--dsn: cannot read \"" + t + "\": give a JDBC URL (jdbc:postgresql://HOST:PORT/DB), "
                + "a libpq URI (postgresql://USER@HOST:PORT/DB) or libpq key=value pairs (host=HOST port=PORT dbname=DB)");
    }

    /** {@code rest} is {@code //[userinfo@]hosts[/db][?params]}. */
    private static Dsn fromUrl(String rest, String defaultUser, String defaultPassword, boolean jdbc) {
        if (!rest.startsWith("//")) {
            throw new IllegalArgumentException("--dsn: expected // after the scheme in \"" + rest + "\"");
        }
        String r = rest.substring(2);
        String query = "";
        int q = r.indexOf('?');
        if (q >= 0) {
            query = r.substring(q + 1);
            r = r.substring(0, q);
        }
        String user = null;
        String password = null;
        int at = r.lastIndexOf('@');
        if (at >= 0) {
            if (jdbc) {
                throw new IllegalArgumentException("--dsn: a JDBC URL takes the user and password as ?user=...&password=...");
            }
            String info = r.substring(0, at);
            r = r.substring(at + 1);
            int colon = info.indexOf(':');
            user = decode(colon >= 0 ? info.substring(0, colon) : info);
            password = colon >= 0 ? decode(info.substring(colon + 1)) : null;
        }
        String hosts = r;
        String db = null;
        int slash = r.indexOf('/');
        if (slash >= 0) {
            hosts = r.substring(0, slash);
            db = decode(r.substring(slash + 1));
        }
        if (hosts.isEmpty()) {
            throw new IllegalArgumentException("--dsn: no host in \"" + rest + "\"");
        }
        Map<String, String> params = new LinkedHashMap<>();
        for (String kv : query.split("&")) {
            if (kv.isEmpty()) {
                continue;
            }
            int eq = kv.indexOf('=');
            String k = decode(eq >= 0 ? kv.substring(0, eq) : kv);
            String v = eq >= 0 ? decode(kv.substring(eq + 1)) : "";
            switch (k) {
                case "user" -> user = v;
                case "password" -> password = v;
                case "dbname" -> db = v;
                default -> params.put(k, v);
            }
        }
        return build(hosts, db, params, user, password, defaultUser, defaultPassword);
    }

    private static Dsn fromPairs(String text, String defaultUser, String defaultPassword) {
        Map<String, String> kv = new LinkedHashMap<>();
        int i = 0;
        int n = text.length();
        while (i < n) {
            while (i < n && Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            if (i >= n) {
                break;
            }
            int eq = text.indexOf('=', i);
            if (eq < 0) {
                throw new IllegalArgumentException("--dsn: expected key=value at \"" + text.substring(i) + "\"");
            }
            String key = text.substring(i, eq).strip();
            i = eq + 1;
            while (i < n && text.charAt(i) == ' ') {
                i++;
            }
            StringBuilder v = new StringBuilder();
            if (i < n && text.charAt(i) == '\'') {
                i++;
                while (i < n && text.charAt(i) != '\'') {
                    if (text.charAt(i) == '\\' && i + 1 < n) {
                        i++;
                    }
                    v.append(text.charAt(i++));
                }
                if (i >= n) {
                    throw new IllegalArgumentException("--dsn: unterminated quote in \"" + text + "\"");
                }
                i++;
            } else {
                while (i < n && !Character.isWhitespace(text.charAt(i))) {
                    if (text.charAt(i) == '\\' && i + 1 < n) {
                        i++;
                    }
                    v.append(text.charAt(i++));
                }
            }
            kv.put(key, v.toString());
        }
        String host = kv.remove("host");
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("--dsn: no host= in \"" + text + "\"");
        }
        String port = kv.remove("port");
        String user = kv.remove("user");
        String password = kv.remove("password");
        String db = kv.remove("dbname");
        String[] hs = host.split(",");
        String[] ps = port == null ? new String[0] : port.split(",");
        List<String> hostPorts = new ArrayList<>();
        for (int k = 0; k < hs.length; k++) {
            String p = ps.length == 0 ? null : ps.length == 1 ? ps[0] : k < ps.length ? ps[k] : null;
            String h = hs[k].strip().contains(":") ? "[" + hs[k].strip() + "]" : hs[k].strip();
            hostPorts.add(p == null || p.isBlank() ? h : h + ":" + p.strip());
        }
        return build(String.join(",", hostPorts), db, kv, user, password, defaultUser, defaultPassword);
    }

    private static Dsn build(String hosts, String db, Map<String, String> params, String user, String password,
                             String defaultUser, String defaultPassword) {
        String u = user != null && !user.isEmpty() ? user : defaultUser != null ? defaultUser : "postgres";
        String p = password != null ? password : defaultPassword;
        String database = db != null && !db.isEmpty() ? db : u;
        StringBuilder url = new StringBuilder("jdbc:postgresql://").append(hosts).append('/').append(database);
        String sep = "?";
        for (Map.Entry<String, String> e : params.entrySet()) {
            url.append(sep).append(e.getKey()).append('=').append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
            sep = "&";
        }
        return new Dsn(url.toString(), u, p, database, "postgresql://" + u + "@" + hosts + "/" + database
                + (params.isEmpty() ? "" : url.substring(url.indexOf("?"))));
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
}
