package dev.baton.agent.ha;

import dev.baton.agent.postgres.DataDirInfo;
import dev.baton.agent.postgres.Lsn;
import dev.baton.agent.postgres.PgStatus;
import dev.baton.agent.postgres.PostgresController;
import dev.baton.agent.postgres.PostgresException;
import dev.baton.config.BatonConfig;
import dev.baton.config.CustomBootstrapMethod;
import dev.baton.config.DynamicConfig;
import dev.baton.config.Untrusted;
import dev.baton.leader.ClusterStore;
import dev.baton.leader.model.Role;
import java.time.Duration;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * A new cluster made by a custom bootstrap method ({@code bootstrap.method: <name>}, Patroni's
 * custom bootstrap), on the long-action slot once the initialize and leader races are won: the
 * method's command makes the data directory, postgres starts (recovering with the method's
 * {@code recovery_conf}, or the recovery the command left with {@code keep_existing_recovery_conf})
 * and is waited for until it runs as a primary, its recovery settings go, then the new cluster is
 * registered as after initdb (post_bootstrap, roles, keys). A failure anywhere is undone as after a
 * failed initdb: postgres stopped, the directory this bootstrap filled emptied, the keys released.
 */
final class CommandBootstrap {
    private static final Logger LOG = Logger.getLogger(CommandBootstrap.class.getName());
    /** How long the started server may take to recover and promote. */
    static final Duration RECOVERY_TIMEOUT = Duration.ofHours(12);
    static final Duration POLL = Duration.ofSeconds(1);

    private final BatonConfig config;
    private final ClusterStore store;
    private final PostgresController pg;
    private final LongActionSlot slot;
    private final LoopContext ctx;
    private final LongSupplier ticker;
    private final Handover.Pause pause;

    CommandBootstrap(BatonConfig config, ClusterStore store, PostgresController pg, LongActionSlot slot,
                     LoopContext ctx, LongSupplier ticker, Handover.Pause pause) {
        this.config = config;
        this.store = store;
        this.pg = pg;
        this.slot = slot;
        this.ctx = ctx;
        this.ticker = ticker;
        this.pause = pause;
    }

    /** Starts the bootstrap on the slot; returns the cycle's sentence. */
    String bootstrap() {
        CustomBootstrapMethod method = config.bootstrap().custom();
        String name = Untrusted.shown(method.name(), 60);
        DynamicConfig initial = config.bootstrap().dcs();
        slot.submit(LongAction.CUSTOM_BOOTSTRAP.on(name), () -> {
            try {
                pg.customBootstrap(initial);
                ctx.dataDirChanged();
                slot.progress(LongAction.CUSTOM_BOOTSTRAP.on(name + ": starting"));
                long deadline = ticker.getAsLong() + RECOVERY_TIMEOUT.toNanos();
                pg.start(RECOVERY_TIMEOUT);
                awaitPrimary(name, deadline);
                pg.finishCustomBootstrap();
                DataDirInfo info = NewCluster.register(pg, store, ctx, initial);
                LOG.info("new cluster made by the custom bootstrap method " + name + ", system identifier "
                        + info.systemId());
                ctx.listener().started(Role.PRIMARY);
            } catch (RuntimeException e) {
                NewCluster.undo(pg, store, "custom bootstrap " + name, e);
                throw e;
            }
        });
        return "bootstrapping a new cluster by the custom bootstrap method " + name + ": I won the initialize race";
    }

    /** Waits (bounded) until the started server runs as a primary: at once, or once its recovery promoted it. */
    private void awaitPrimary(String name, long deadline) {
        while (true) {
            PgStatus s = pg.status();
            if (s.runningAsPrimary()) {
                return;
            }
            if (!pg.isRunning()) {
                throw new PostgresException("postgres stopped during the custom bootstrap's recovery (see its log)");
            }
            String refused = pg.authenticationFailure();
            if (refused != null) {
                throw new PostgresException("the new cluster refuses postgresql.authentication.superuser ("
                        + Untrusted.shown(refused, 300) + "): a custom bootstrap keeps the roles, passwords and "
                        + "pg_hba.conf the command made; configure the superuser as in the source cluster");
            }
            if (ticker.getAsLong() - deadline > 0) {
                throw new PostgresException("postgres did not become a primary within " + RECOVERY_TIMEOUT.toHours()
                        + " h of the custom bootstrap (a recovery that pauses at its target, or a standby.signal "
                        + "without a target, never promotes)");
            }
            slot.progress(LongAction.CUSTOM_BOOTSTRAP.on(name + (s.running() && s.replayedLsn() > 0
                    ? ": recovering, replayed " + Lsn.format(s.replayedLsn()) : ": recovering")));
            try {
                pause.pause(POLL);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new PostgresException("interrupted while waiting for the custom bootstrap's recovery", e);
            }
        }
    }
}
