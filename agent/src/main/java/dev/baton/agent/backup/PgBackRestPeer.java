package dev.baton.agent.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.config.BackupConfig;
import dev.baton.config.BatonConfig;
import dev.baton.config.Untrusted;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * What a member with {@code backup.server} publishes in its member key ({@code "pgbackrest"}), so
 * that a replica's backup (pgBackRest's {@code backup-standby}) can reach it when it is the
 * primary: where its pgBackRest TLS server answers, the configuration file the server's remote
 * reads ({@code pg2-host-config}), and how pgBackRest reaches its PostgreSQL there
 * ({@code pg2-path}, {@code pg2-port}, {@code pg2-socket-path}, {@code pg2-user}). Pure.
 *
 * <p>Read from etcd, so untrusted: {@link #parse} accepts only a DNS name, ports in range, absolute
 * paths of plain characters and a plain role name, so nothing read here can add an option to a
 * pgBackRest command line.
 *
 * @param fromReplica the member's {@code backup.from_replica}: as the leader, whether its scheduled
 *                    backups are taken by a replica
 */
public record PgBackRestPeer(String host, int port, Path config, Path pgPath, int pgPort, Path pgSocketPath,
                             String pgUser, boolean fromReplica) {
    /** The member key's field. */
    public static final String FIELD = "pgbackrest";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern DNS_NAME = Pattern.compile(
            "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\.?");
    private static final Pattern PATH = Pattern.compile("/[A-Za-z0-9._/+@=:-]{0,4000}");
    private static final Pattern ROLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_$.-]{0,62}");

    /** This member's facts, or null without {@code backup.server}. */
    public static PgBackRestPeer of(BatonConfig config) {
        BackupConfig backup = config.backup();
        if (backup == null || backup.server() == null) {
            return null;
        }
        Path data = PgBackRestConf.dataDir(config);
        return new PgBackRestPeer(backup.server().connectAddress().host(), backup.server().connectAddress().port(),
                PgBackRestConf.confFile(data), data, config.postgresql().listenPort(), PgBackRestConf.socketDir(config),
                config.postgresql().authentication().superuser().username(), backup.fromReplica());
    }

    /** The member key's {@code "pgbackrest"} object. */
    public ObjectNode toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("host", host);
        n.put("port", port);
        n.put("config", config.toString());
        n.put("pg_path", pgPath.toString());
        n.put("pg_port", pgPort);
        n.put("pg_socket_path", pgSocketPath.toString());
        n.put("pg_user", pgUser);
        n.put("from_replica", fromReplica);
        return n;
    }

    /**
     * {@code json} with this member's facts added as {@code "pgbackrest"} (a member key's JSON object
     * as Baton writes it; any other text is returned as is).
     */
    public String addTo(String json) {
        try {
            JsonNode n = JSON.readTree(json);
            if (n instanceof ObjectNode o) {
                o.set(FIELD, toJson());
                return o.toString();
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            // not ours to fix
        }
        return json;
    }

    /**
     * The facts in a member key's JSON, if it has a {@code "pgbackrest"} object.
     *
     * @return null when the key has none (the member runs no pgBackRest server)
     * @throws IllegalArgumentException the object is there but a value is unusable (the message says which)
     */
    public static PgBackRestPeer parse(String memberJson) {
        JsonNode root;
        try {
            root = JSON.readTree(memberJson == null ? "" : memberJson);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return null;
        }
        if (root == null || !root.isObject() || !root.has(FIELD)) {
            return null;
        }
        JsonNode n = root.get(FIELD);
        if (!n.isObject()) {
            throw new IllegalArgumentException("\"" + FIELD + "\" is not an object");
        }
        String host = text(n, "host");
        if (!DNS_NAME.matcher(host).matches() || host.length() > 253) {
            throw new IllegalArgumentException(FIELD + ".host must be a DNS name, got \"" + Untrusted.shown(host, 80)
                    + "\"");
        }
        return new PgBackRestPeer(host, port(n, "port"), path(n, "config"), path(n, "pg_path"), port(n, "pg_port"),
                path(n, "pg_socket_path"), role(n), n.path("from_replica").asBoolean(false));
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException(FIELD + "." + field + " must be a string");
        }
        return v.textValue();
    }

    private static int port(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isIntegralNumber() || v.asLong() < 1 || v.asLong() > 65535) {
            throw new IllegalArgumentException(FIELD + "." + field + " must be a port (1-65535), got "
                    + Untrusted.shown(String.valueOf(v), 40));
        }
        return v.intValue();
    }

    private static Path path(JsonNode n, String field) {
        String s = text(n, field);
        if (!PATH.matcher(s).matches() || s.contains("/../") || s.endsWith("/..")) {
            throw new IllegalArgumentException(FIELD + "." + field + " must be an absolute path of letters, digits "
                    + "and ._/+@=:-, got \"" + Untrusted.shown(s, 100) + "\"");
        }
        return Path.of(s);
    }

    private static String role(JsonNode n) {
        String s = text(n, "pg_user");
        if (!ROLE.matcher(s).matches()) {
            throw new IllegalArgumentException(FIELD + ".pg_user must be a plain role name, got \""
                    + Untrusted.shown(s, 80) + "\"");
        }
        return s;
    }
}
