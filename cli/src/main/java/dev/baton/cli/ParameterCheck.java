package dev.baton.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.agent.postgres.PgBinaries;
import dev.baton.agent.postgres.PgCatalog;
import dev.baton.agent.postgres.PgParameterCheck;
import dev.baton.agent.postgres.PgParameterTranslation;
import dev.baton.agent.postgres.PostgresException;
import dev.baton.agent.process.SystemProcessRunner;
import dev.baton.config.ConfigException;
import dev.baton.config.DynamicConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * edit-config's check of the PostgreSQL parameters an edit adds or changes, against the server's
 * own catalog, before anything reaches etcd: a value postgres would refuse would otherwise stop
 * every node at its next start. The binaries are those of the local configuration's
 * {@code postgresql.bin_dir} when they are there, else the installed PostgreSQL (found as the
 * agent finds it); with none, only the syntax is checked (config loading) and stderr says so.
 * Parameters already in the key are not judged again, so an edit is never blocked by an old one.
 */
final class ParameterCheck {
    private static final String PATH = "config.postgresql.parameters.";

    /** The server's catalog, how to ask it about unlisted names, and where its binaries are; null: none found. */
    record Server(PgCatalog catalog, PgParameterCheck.Probe probe, String where) {
    }

    /** What the check found: errors refuse the edit, warnings are shown. */
    record Findings(List<String> errors, List<String> warnings) {
    }

    private final Supplier<Server> server;
    private Server found;
    private boolean looked;

    ParameterCheck(Supplier<Server> server) {
        this.server = server;
    }

    /** The binaries of {@code bin_dir} from the local configuration (or null), else the installed ones. */
    static ParameterCheck locate(Path binDir, PrintWriter err) {
        return new ParameterCheck(() -> {
            Optional<Path> dir = Optional.empty();
            if (binDir != null) {
                try {
                    dir = Optional.of(PgBinaries.at(binDir).dir());
                } catch (IllegalArgumentException e) {
                    dir = Optional.empty();
                }
            }
            dir = dir.or(PgBinaries::find);
            if (dir.isEmpty()) {
                err.println("baton: warning: no PostgreSQL binaries found (postgresql.bin_dir, pg_config, "
                        + "/usr/lib/postgresql): parameter values are checked for syntax only");
                return null;
            }
            PgBinaries bin = PgBinaries.at(dir.get());
            SystemProcessRunner runner = new SystemProcessRunner();
            try {
                return new Server(bin.catalog(runner), (n, v) -> bin.probe(runner, n, v), bin.dir().toString());
            } catch (PostgresException e) {
                err.println("baton: warning: " + e.getMessage() + ": parameter values are checked for syntax only");
                return null;
            }
        });
    }

    /** The errors and warnings of the parameters {@code after} adds or changes over {@code before}. */
    Findings check(ObjectNode before, ObjectNode after) {
        Map<String, String> changed = changed(before, after);
        List<String> errors = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        if (changed.isEmpty()) {
            return new Findings(errors, warnings);
        }
        if (!looked) {
            found = server.get();
            looked = true;
        }
        if (found == null) {
            return new Findings(errors, warnings);
        }
        String of = " (PostgreSQL " + found.catalog().majorName() + " in " + found.where() + ")";
        changed.forEach((name, value) -> {
            PgParameterTranslation.Result t = PgParameterTranslation.translate(
                    Map.of(name.toLowerCase(Locale.ROOT), value), found.catalog().version());
            t.warnings().forEach(w -> warnings.add(PATH + name + ": " + w + of));
            t.parameters().forEach((n, v) -> PgParameterCheck.problem(found.catalog(), found.probe(), n, v)
                    .ifPresent(p -> errors.add(PATH + name + ": " + (n.equals(name) ? "" : n + " ") + p + of)));
        });
        return new Findings(errors, warnings);
    }

    /** Parameters of {@code after} that {@code before} lacks or has with another value. */
    static Map<String, String> changed(ObjectNode before, ObjectNode after) {
        Map<String, String> was = parameters(before);
        Map<String, String> out = new LinkedHashMap<>();
        parameters(after).forEach((k, v) -> {
            if (!Objects.equals(was.get(k), v)) {
                out.put(k, v);
            }
        });
        return out;
    }

    private static Map<String, String> parameters(ObjectNode config) {
        try {
            return DynamicConfig.fromJson(config.toString()).parameters();
        } catch (ConfigException e) {
            return Map.of();
        }
    }
}
