package dev.baton.agent.ha;

import dev.baton.config.BatonConfig;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The node configuration the agent runs with now: the file's at start, replaced as a whole by a
 * local configuration reload (SIGHUP, {@code POST /reload}) with the keys that may change at run
 * time ({@link dev.baton.config.ReloadPlan}). Readers take one immutable snapshot and decide from
 * it: the HA loop once per cycle, the configuration writer once per write.
 */
public final class CurrentConfig implements Supplier<BatonConfig> {
    private final AtomicReference<BatonConfig> current;

    public CurrentConfig(BatonConfig initial) {
        this.current = new AtomicReference<>(Objects.requireNonNull(initial, "initial"));
    }

    @Override
    public BatonConfig get() {
        return current.get();
    }

    /** Installs the reloaded configuration; returns the one it replaces. */
    public BatonConfig set(BatonConfig next) {
        return current.getAndSet(Objects.requireNonNull(next, "next"));
    }
}
