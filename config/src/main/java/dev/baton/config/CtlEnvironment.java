package dev.baton.config;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;

/**
 * The {@code ctl} section as the environment alone gives it ({@code PATRONI_CTL_*}, with the
 * {@code BATON_CTL_*} twins winning): what the CLI uses when it is given no configuration file, as
 * patronictl does. Read and validated exactly as the file's section.
 */
public final class CtlEnvironment {
    /** The section, and every problem with it (each naming the variable it came from). */
    public record Result(CtlConfig ctl, List<ConfigError> errors) {
        public Result {
            errors = List.copyOf(errors);
        }
    }

    private CtlEnvironment() {
    }

    public static Result read(Map<String, String> env) {
        ObjectNode tree = JsonNodeFactory.instance.objectNode();
        Issues issues = new Issues();
        EnvOverrides.apply(tree, "etcd3", env, issues);
        CtlConfig ctl = SecuritySections.ctl(new ConfigNode(tree, "", issues).map("ctl"));
        List<ConfigError> errors = issues.errors().stream()
                .filter(e -> e.path().equals("ctl") || e.path().startsWith("ctl.")).toList();
        return new Result(errors.isEmpty() ? ctl : CtlConfig.NONE, errors);
    }
}
