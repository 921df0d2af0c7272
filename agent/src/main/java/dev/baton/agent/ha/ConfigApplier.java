package dev.baton.agent.ha;

import dev.baton.agent.postgres.PgStatus;
import dev.baton.agent.postgres.PostgresController.Upstream;
import dev.baton.agent.postgres.PostgresController;
import dev.baton.config.DynamicConfig;
import dev.baton.leader.model.Role;
import java.util.Map;
import java.util.logging.Logger;

/**
 * Re-renders postgres' configuration for the role it runs in and reloads it: when the
 * {@code config} key's parameters change (checked in quiet cycles), and for {@code POST /reload}.
 */
final class ConfigApplier {
    private static final Logger LOG = Logger.getLogger(ConfigApplier.class.getName());

    private final String me;
    private final PostgresController pg;
    private final LoopContext loop;
    private Map<String, String> applied;

    ConfigApplier(String me, PostgresController pg, LoopContext loop) {
        this.me = me;
        this.pg = pg;
        this.loop = loop;
    }

    /** Where this replica streams from now (what its configuration says), or null. */
    Upstream currentUpstream() {
        String up = pg.configuredUpstream();
        if (up == null) {
            return null;
        }
        int colon = up.lastIndexOf(':');
        return new Upstream(up.substring(0, colon), Integer.parseInt(up.substring(colon + 1)), SlotPlanner.slotName(me));
    }

    /**
     * Writes the configuration for the running server's role and reloads it; the listener hears
     * of it (the on_reload callback). Returns whether it reloaded.
     */
    boolean reload(DynamicConfig dynamic) {
        PgStatus st = pg.status();
        if (!st.inRecovery() && pg.fenced()) {
            // Rewriting the configuration would undo the fence another member put on this former
            // primary; only its rejoin as a replica (rewind or re-clone) does that.
            LOG.warning("not reloading: this former primary was fenced by the member that took over");
            return false;
        }
        pg.configure(st.inRecovery(), st.inRecovery() ? currentUpstream() : null, dynamic);
        pg.reload();
        loop.listener().reloaded(st.inRecovery() ? Role.REPLICA : Role.PRIMARY);
        return true;
    }

    /**
     * Called in quiet cycles with postgres running: reloads when the parameters differ from those
     * last applied (the first call only records them). Returns whether it reloaded.
     */
    boolean applyIfChanged(DynamicConfig dynamic) {
        Map<String, String> wanted = dynamic.parameters();
        if (applied == null) {
            applied = wanted;
            return false;
        }
        if (wanted.equals(applied)) {
            return false;
        }
        boolean reloaded = reload(dynamic);
        applied = wanted;
        LOG.info("applied changed PostgreSQL parameters from the cluster configuration (reload)");
        return reloaded;
    }
}
