package dev.baton.agent.postgres;

import dev.baton.agent.process.ProcessRunner;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * What the server's binaries say about parameters, asked once each: the {@link PgCatalog}, and
 * for a parameter it does not list, {@link PgBinaries#probe} (per name and value). When the
 * binaries cannot be asked, parameters are written unchecked (said once): postgres itself is then
 * the judge, as before Baton had a catalog.
 */
final class PgCatalogCache implements PgParameterCheck.Probe {
    private static final Logger LOG = Logger.getLogger(PgCatalogCache.class.getName());

    private final PgBinaries bin;
    private final ProcessRunner runner;
    private final Map<String, Optional<String>> probed = new ConcurrentHashMap<>();
    private PgCatalog catalog;

    PgCatalogCache(PgBinaries bin, ProcessRunner runner) {
        this.bin = bin;
        this.runner = runner;
    }

    /** Asks nothing: an unknown catalog. */
    static PgCatalogCache none() {
        PgCatalogCache c = new PgCatalogCache(null, null);
        c.catalog = PgCatalog.unknown();
        return c;
    }

    synchronized PgCatalog catalog() {
        if (catalog == null) {
            try {
                catalog = bin.catalog(runner);
            } catch (PostgresException e) {
                LOG.warning("PostgreSQL parameters are written unchecked: " + e.getMessage());
                catalog = PgCatalog.unknown();
            }
        }
        return catalog;
    }

    @Override
    public Optional<String> problem(String name, String value) {
        if (bin == null) {
            return Optional.empty();
        }
        return probed.computeIfAbsent(name + "\0" + value, k -> {
            try {
                return bin.probe(runner, name, value);
            } catch (PostgresException e) {
                LOG.warning("parameter " + name + " is written unchecked: " + e.getMessage());
                return Optional.empty();
            }
        });
    }
}
