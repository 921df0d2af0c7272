package dev.baton.agent.ha;

import dev.baton.agent.postgres.Lsn;
import dev.baton.agent.postgres.PostgresController.RewindCheck;

/**
 * Whether and how a former primary's data directory is brought back to follow a new leader, as
 * pure functions: before (given pg_rewind's dry run) and after a failure (given the settings
 * {@code use_pg_rewind} and {@code remove_data_directory_on_rewind_failure}).
 */
public final class RewindPolicy {

    private RewindPolicy() {
    }

    public enum Step {
        /** The directory did not diverge: follow as it is. */
        FOLLOW,
        /** Keep the WAL about to be discarded, record the range, then pg_rewind. */
        REWIND,
        /** It diverged but use_pg_rewind is off: this counts as a failed rewind. */
        REFUSE
    }

    public record Plan(Step step, String problem) {
    }

    /**
     * @param usePgRewind the local {@code postgresql.use_pg_rewind} if set, else the cluster's
     */
    public static Plan before(RewindCheck check, boolean usePgRewind, String leader) {
        if (!check.needed()) {
            return new Plan(Step.FOLLOW, null);
        }
        if (!usePgRewind) {
            return new Plan(Step.REFUSE, "the data directory diverged from " + leader + " at "
                    + Lsn.format(check.divergenceLsn()) + " on timeline " + check.timeline() + " and use_pg_rewind is off");
        }
        return new Plan(Step.REWIND, null);
    }

    /** What to do after a failed rewind (or a refused one). */
    public enum Recovery {
        /** The agent is shutting down: just stop, nothing is concluded. */
        STOP,
        /** Remove the data directory: the next cycle clones it again (remove_data_directory_on_rewind_failure). */
        RECLONE,
        /** Keep postgres down and say why until an operator re-clones or a new leader appears. */
        STAY_DOWN
    }

    public static Recovery afterFailure(boolean shuttingDown, boolean removeDataDirectoryOnFailure) {
        if (shuttingDown) {
            return Recovery.STOP;
        }
        return removeDataDirectoryOnFailure ? Recovery.RECLONE : Recovery.STAY_DOWN;
    }

    /** The sentence a node repeats while it stays down after a failed rewind. */
    public static String failedSentence(String leader, String problem) {
        return "pg_rewind from " + leader + " failed (" + problem + "); set "
                + "postgresql.remove_data_directory_on_rewind_failure to re-clone automatically, "
                + "or re-clone this member by hand (baton reinit)";
    }

    /**
     * A failed rewind against one leader says nothing about the next one: forget it when the
     * leader changes. Returns whether the failure still stands.
     */
    public static boolean stillFailed(String failedAgainst, String currentLeader) {
        return failedAgainst != null && (currentLeader == null || currentLeader.equals(failedAgainst));
    }
}
