package dev.baton.agent.ha;

import dev.baton.config.ConfigKeyReading;
import dev.baton.config.DynamicConfig;
import dev.baton.leader.ClusterSnapshot;
import dev.baton.leader.model.ClusterView;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Turns each snapshot into the {@link ClusterView} the agent acts on, keeping across cycles what
 * the view needs from the past: the last good {@code config} key, whose values stand in for
 * invalid ones ({@link dev.baton.config.ConfigKeyReading}). Reports each problem with the etcd
 * values once, when it appears (a warning; an invalid config key is an error, since a setting
 * the operator wrote is not applied), and once when the config key is valid again; not every
 * cycle.
 */
final class ClusterReader {
    private static final Logger LOG = Logger.getLogger(ClusterReader.class.getName());

    private final DynamicConfig bootstrap;
    private DynamicConfig lastGood;
    private Set<String> reported = Set.of();
    private boolean configInvalid;
    private long notedRevision = -1;

    ClusterReader(DynamicConfig bootstrap) {
        this.bootstrap = bootstrap;
    }

    synchronized ClusterView read(ClusterSnapshot snapshot) {
        ClusterView view = ClusterView.of(snapshot, bootstrap, lastGood);
        if (view.configPresent()) {
            lastGood = view.dynamic();
        }
        report(view.configProblems(), view.keyProblems());
        noteIgnoredSettings(snapshot);
        return view;
    }

    /**
     * Settings of the config key that Baton reads but does not act on (unknown keys, Patroni keys
     * it does not implement): logged once per revision of the key, at INFO, since Patroni files
     * carry many such keys and none of them changes what Baton does.
     */
    private void noteIgnoredSettings(ClusterSnapshot snapshot) {
        if (snapshot.config() == null || snapshot.config().modRevision() == notedRevision) {
            return;
        }
        notedRevision = snapshot.config().modRevision();
        List<String> notes = ConfigKeyReading.of(snapshot.config().value(), lastGood, bootstrap).notes();
        if (!notes.isEmpty()) {
            LOG.info("the etcd config key has settings Baton does not act on: " + String.join("; ", notes));
        }
    }

    private void report(List<String> configProblems, List<String> keyProblems) {
        for (String p : configProblems) {
            if (!reported.contains(p)) {
                LOG.severe("invalid value in the etcd config key, not applied: " + p);
            }
        }
        for (String p : keyProblems) {
            if (!reported.contains(p)) {
                LOG.warning("invalid value in etcd: " + p);
            }
        }
        if (configInvalid && configProblems.isEmpty()) {
            LOG.info("the etcd config key is valid again");
        }
        Set<String> now = new HashSet<>(configProblems);
        now.addAll(keyProblems);
        reported = now;
        configInvalid = !configProblems.isEmpty();
    }
}
