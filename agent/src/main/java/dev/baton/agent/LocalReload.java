package dev.baton.agent;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.agent.ha.CurrentConfig;
import dev.baton.config.BatonConfig;
import dev.baton.config.ConfigError;
import dev.baton.config.ConfigLoader;
import dev.baton.config.LoadResult;
import dev.baton.config.ReloadPlan;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * Patroni's local configuration reload (SIGHUP, {@code POST /reload}): reads the configuration
 * again from where the agent read it at start (the file, or the environment), with the
 * environment as at start, validates it completely and installs what may change at run time
 * ({@link ReloadPlan}) into the {@link CurrentConfig} the HA loop and the configuration writer
 * read. A configuration that does not validate changes nothing: each error is logged with its key
 * path and the reload answers with them. What cannot change at run time is named in a warning
 * and kept as running.
 */
public final class LocalReload {
    private static final Logger LOG = Logger.getLogger(LocalReload.class.getName());

    /** The outcome: {@code ok} with what changed, or the errors (nothing changed). */
    public record Outcome(boolean ok, String message, ReloadPlan plan) {
    }

    private final Supplier<ConfigLoader.Loaded> source;
    private final Function<ObjectNode, LoadResult> reader;
    private final CurrentConfig current;
    private final String where;
    private volatile Consumer<BatonConfig> onApplied = c -> { };
    private ObjectNode running; // guarded by this

    /**
     * @param source  reads the configuration again (the file, or the environment), with the start's environment
     * @param reader  reads a tree that has its overrides already ({@link ConfigLoader#fromTree})
     * @param started the tree the agent started with
     * @param where   the file (or variable) named in messages
     */
    public LocalReload(Supplier<ConfigLoader.Loaded> source, Function<ObjectNode, LoadResult> reader,
                       ObjectNode started, CurrentConfig current, String where) {
        this.source = Objects.requireNonNull(source, "source");
        this.reader = Objects.requireNonNull(reader, "reader");
        this.running = Objects.requireNonNull(started, "started").deepCopy();
        this.current = Objects.requireNonNull(current, "current");
        this.where = where;
    }

    /** Called with the new configuration once installed (the agent applies the log level, the callbacks). */
    void onApplied(Consumer<BatonConfig> action) {
        this.onApplied = Objects.requireNonNull(action, "action");
    }

    public CurrentConfig current() {
        return current;
    }

    /** Reads, validates and installs; one reload at a time. */
    public synchronized Outcome reload() {
        ConfigLoader.Loaded fresh = source.get();
        if (!fresh.result().ok() || fresh.tree() == null) {
            return refused(fresh.result().errors());
        }
        ReloadPlan plan = ReloadPlan.between(running, fresh.tree());
        if (plan.unchanged()) {
            LOG.info("configuration reload: " + where + " unchanged");
            return new Outcome(true, "configuration unchanged", plan);
        }
        // The running configuration with the live keys taken from the file; checked again as a
        // whole (a rule between sections may now fail), and installed only if it is valid.
        LoadResult merged = reader.apply(plan.merged());
        if (!merged.ok()) {
            return refused(merged.errors());
        }
        for (String key : plan.needsRestart()) {
            LOG.warning("configuration reload: " + key + " changed in " + where
                    + ": needs an agent restart, not applied");
        }
        for (String key : plan.ignored()) {
            LOG.info("configuration reload: " + key + " changed in " + where
                    + ": read only when a new cluster is bootstrapped, not applied");
        }
        if (!plan.applied().isEmpty()) {
            current.set(merged.config());
            running = plan.merged();
            LOG.info("configuration reload: applied " + String.join(", ", plan.applied()));
            onApplied.accept(merged.config());
        }
        return new Outcome(true, plan.describe(), plan);
    }

    private Outcome refused(List<ConfigError> errors) {
        for (ConfigError e : errors) {
            LOG.severe("configuration reload: " + where + ": " + e + "; the running configuration stays");
        }
        String list = errors.stream().map(ConfigError::toString).collect(Collectors.joining("; "));
        return new Outcome(false, "invalid configuration in " + where + ", nothing changed: " + list, null);
    }
}
