package dev.baton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.leader.VersionedValue;
import java.io.IOException;

/** The {@code config} key as the operator commands edit it: raw JSON object plus the mod revision read. */
record ConfigKey(ObjectNode json, long modRevision) {
    /** Lost compare-and-set races a command re-applies its edit after, before it gives up. */
    static final int MAX_ATTEMPTS = 20;

    /** Reads the key; exit 1 if it is missing (the cluster was never bootstrapped) or not a JSON object. */
    static ConfigKey read(ClusterSession s) {
        VersionedValue v = s.snapshot().config();
        if (v == null) {
            throw ExitException.failed("cluster " + s.scope() + " has no config key in etcd (is it bootstrapped? "
                    + "does --scope/--namespace name it?)");
        }
        JsonNode n;
        try {
            n = v.value().isBlank() ? Formats.JSON.createObjectNode() : Formats.JSON.readTree(v.value());
        } catch (IOException e) {
            throw ExitException.failed("the config key of cluster " + s.scope() + " is not valid JSON: "
                    + e.getMessage());
        }
        if (!(n instanceof ObjectNode o)) {
            throw ExitException.failed("the config key of cluster " + s.scope() + " is not a JSON object");
        }
        return new ConfigKey(o, v.modRevision());
    }

    /** Compare-and-set on the mod revision read; false when someone else wrote in between. */
    boolean write(ClusterSession s, ObjectNode updated) {
        return s.call("write the config key of cluster " + s.scope(),
                () -> s.store().casConfig(updated.toString(), modRevision));
    }
}
