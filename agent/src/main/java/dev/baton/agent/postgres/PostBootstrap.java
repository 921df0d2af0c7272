package dev.baton.agent.postgres;

import dev.baton.agent.callbacks.CallbackRunner;
import dev.baton.agent.process.ProcessRunner;
import dev.baton.agent.process.ProcessRunner.ProcessResult;
import dev.baton.config.BatonConfig;
import dev.baton.config.Credentials;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * {@code bootstrap.post_bootstrap} (or {@code post_init}): the script run once after a new
 * cluster is initialised and running, as Patroni runs it: the command's words
 * ({@code shlex.split}, no shell), then a libpq URL to the new primary as the superuser
 * ({@code postgres://postgres@127.0.0.1:5432/postgres}, with the superuser's TLS options). The
 * password never goes into argv or the environment: the child gets {@code PGPASSFILE} (the pgpass
 * file Baton keeps, mode 0600) and Patroni's {@code PGOPTIONS} ({@code synchronous_commit=local},
 * no statement_timeout). A script that fails (or runs longer than {@link #TIMEOUT}) fails the bootstrap.
 */
final class PostBootstrap {
    private static final Logger LOG = Logger.getLogger(PostBootstrap.class.getName());
    static final Duration TIMEOUT = Duration.ofHours(12);
    static final String PGOPTIONS = "-c synchronous_commit=local -c statement_timeout=0";

    private final BatonConfig config;
    private final ProcessRunner runner;
    private final PgConfFiles files;

    PostBootstrap(BatonConfig config, ProcessRunner runner, PgConfFiles files) {
        this.config = config;
        this.runner = runner;
        this.files = files;
    }

    /** Runs the script, if one is configured; throws when it fails. */
    void run() {
        String command = config.bootstrap().postBootstrap();
        if (command == null) {
            return;
        }
        List<String> words;
        try {
            words = CallbackRunner.splitCommand(command);
        } catch (IllegalArgumentException e) {
            throw new PostgresException("bootstrap.post_bootstrap: " + e.getMessage(), e);
        }
        if (words.isEmpty()) {
            throw new PostgresException("bootstrap.post_bootstrap: the command is empty");
        }
        Credentials su = config.postgresql().authentication().superuser();
        String host = PgQueries.localHost(config.postgresql().listenHost());
        int port = config.postgresql().listenPort();
        PgConfRenderer.Conninfo info = files.conninfo(host, port, su, "postgres");
        ProcessResult r = files.withConnection(host, port, su, "postgres", (conninfo, env) -> {
            Map<String, String> childEnv = new LinkedHashMap<>(env);
            childEnv.put("PGOPTIONS", PGOPTIONS);
            Map<String, String> options = new LinkedHashMap<>(info.withoutSecrets().options());
            if (env.containsKey("PGSERVICEFILE")) {
                options.put("service", "baton"); // the key's sslpassword, in a file that lives while the script runs
            }
            List<String> argv = new ArrayList<>(words);
            argv.add(url(su.username(), host, port, "postgres", options));
            LOG.info("running the post_bootstrap script: " + argv);
            return runner.run(argv, childEnv, null, TIMEOUT);
        });
        if (!r.ok()) {
            throw new PostgresException("the post_bootstrap script " + words.get(0) + " failed" + (r.timedOut()
                    ? " (timed out after " + TIMEOUT.toHours() + " h)" : " with exit code " + r.exitCode()) + ": "
                    + r.tail());
        }
        LOG.info("the post_bootstrap script " + words.get(0) + " succeeded");
    }

    /**
     * A libpq URL: {@code postgres://user@host:port/dbname?key=value&...}, every part
     * percent-encoded, an IPv6 address in brackets.
     */
    static String url(String user, String host, int port, String dbname, Map<String, String> options) {
        StringBuilder sb = new StringBuilder("postgres://").append(encode(user)).append('@')
                .append(host.contains(":") ? "[" + host + "]" : encode(host)).append(':').append(port)
                .append('/').append(encode(dbname));
        String sep = "?";
        for (Map.Entry<String, String> e : options.entrySet()) {
            sb.append(sep).append(encode(e.getKey())).append('=').append(encode(e.getValue()));
            sep = "&";
        }
        return sb.toString();
    }

    /** Percent-encoding of everything but RFC 3986's unreserved characters (libpq decodes it; no '+'). */
    static String encode(String s) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
                    || c == '_' || c == '~') {
                sb.append((char) c);
            } else {
                sb.append('%').append(String.format("%02X", c));
            }
        }
        return sb.toString();
    }
}
