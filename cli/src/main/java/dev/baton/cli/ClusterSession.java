package dev.baton.cli;

import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberStatus;
import dev.baton.config.DynamicConfig;
import dev.baton.leader.ClusterSnapshot;
import dev.baton.leader.StoreUnavailableException;
import dev.baton.leader.etcd.EtcdAccessDeniedException;
import dev.baton.leader.etcd.EtcdClusterStore;
import dev.baton.leader.etcd.EtcdGatewayReader;
import java.util.function.Supplier;

/** One command's connection to a cluster's keys in etcd; store failures become exit 1 with one line. */
final class ClusterSession implements AutoCloseable {
    private final ClusterOptions.Target target;
    private final Supplier<EtcdClusterStore> opener;
    private final EtcdGatewayReader gateway;
    private EtcdClusterStore store;

    /** {@code opener} builds the jetcd-backed store, only when a write (or a read the gateway cannot serve) needs it. */
    ClusterSession(ClusterOptions.Target target, Supplier<EtcdClusterStore> opener) {
        this.target = target;
        this.opener = opener;
        this.gateway = new EtcdGatewayReader(target.access(), target.layout(), ClusterOptions.OP_TIMEOUT);
    }

    String scope() {
        return target.layout().scope();
    }

    ClusterOptions.Target target() {
        return target;
    }

    EtcdClusterStore store() {
        if (store == null) {
            store = opener.get();
        }
        return store;
    }

    /**
     * One prefix read of the cluster: through etcd's JSON gateway (so read-only commands need not
     * start jetcd), else through jetcd; exit 1 naming every endpoint if none could be reached.
     */
    ClusterSnapshot snapshot() {
        if (store == null) {
            EtcdGatewayReader.Result result = gateway.read();
            if (result instanceof EtcdGatewayReader.Read read) {
                return read.snapshot();
            }
            if (result instanceof EtcdGatewayReader.Unreachable unreachable) {
                throw ExitException.failed("cannot read cluster " + scope() + ": etcd does not answer at "
                        + String.join(", ", unreachable.endpoints()));
            }
        }
        return call("read cluster " + scope(), () -> store().read());
    }

    /** The cluster parsed as the agents see it. */
    ClusterView view() {
        return ClusterView.of(snapshot(), DynamicConfig.defaults());
    }

    /** Runs one store call, turning an unreachable or failing etcd into exit 1. */
    <T> T call(String what, Supplier<T> call) {
        try {
            return call.get();
        } catch (EtcdAccessDeniedException e) {
            // A wrong user, password or permission: the configuration to fix, not an outage.
            throw ExitException.badInput("cannot " + what + " in etcd " + target.endpoints() + ": " + e.getMessage());
        } catch (StoreUnavailableException e) {
            throw ExitException.failed("cannot " + what + " in etcd " + target.endpoints() + ": " + e.getMessage());
        }
    }

    /** The member called {@code name}, or exit 2 naming the members there are. */
    static MemberStatus member(ClusterView view, String name, String scope) {
        MemberStatus m = view.members().get(name);
        if (m == null) {
            throw ExitException.badInput("cluster " + scope + " has no member \"" + name + "\""
                    + (view.members().isEmpty() ? " (no member has published its key)" : " (members: "
                    + String.join(", ", view.members().keySet()) + ")"));
        }
        return m;
    }

    @Override
    public void close() {
        if (store != null) {
            store.close();
        }
    }
}
