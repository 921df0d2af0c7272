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
