package dev.baton.cli;

import dev.baton.config.BatonConfig;
import dev.baton.config.ConfigError;
import dev.baton.config.ConfigLoader;
import dev.baton.config.ConfigWarning;
import dev.baton.config.LoadResult;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Loads a config file for a command: warnings to stderr, every error listed, exit 2 on errors. */
final class ConfigSupport {
    private ConfigSupport() {
    }

    /**
     * The agent's load: the file, or without one ({@code file} null) the environment as Patroni
     * reads it ({@code PATRONI_CONFIGURATION}, else the variables alone), with the tree kept for
     * the local configuration reload. Exit 2 when nothing configures the node or it does not validate.
     */
    static ConfigLoader.Loaded loadForAgent(Path file, ConfigLoader loader, PrintWriter err) {
        if (file != null && !Files.isReadable(file)) {
            throw ExitException.badInput("cannot read the configuration file " + file);
        }
        if (file == null && !loader.environmentConfigures()) {
            throw ExitException.badInput("no configuration: give -c FILE, or set PATRONI_CONFIGURATION (or "
                    + "BATON_CONFIGURATION) to a whole configuration, or PATRONI_*/BATON_* variables");
        }
        String where = file != null ? file.toString() : "the environment";
        ConfigLoader.Loaded l = loader.loadWithTree(file);
        LoadResult r = l.result();
        for (ConfigWarning w : r.warnings()) {
            err.println("baton: warning: " + where + ": " + w);
        }
        if (!r.ok()) {
            StringBuilder sb = new StringBuilder("invalid configuration in " + where + " ("
                    + r.errors().size() + (r.errors().size() == 1 ? " error" : " errors") + "):");
            for (ConfigError e : r.errors()) {
                sb.append("\n  ").append(e);
            }
            throw ExitException.badInput(sb.toString());
        }
        return l;
    }

    static BatonConfig load(Path file, Map<String, String> env, PrintWriter err) {
        if (!Files.isReadable(file)) {
            throw ExitException.badInput("cannot read the configuration file " + file);
        }
        LoadResult r = new ConfigLoader(env).load(file);
        for (ConfigWarning w : r.warnings()) {
            err.println("baton: warning: " + file + ": " + w);
        }
        if (!r.ok()) {
            StringBuilder sb = new StringBuilder("invalid configuration in " + file + " ("
                    + r.errors().size() + (r.errors().size() == 1 ? " error" : " errors") + "):");
            for (ConfigError e : r.errors()) {
                sb.append("\n  ").append(e);
            }
            throw ExitException.badInput(sb.toString());
        }
        return r.config();
    }
}
