package dev.baton.agent.backup;

import java.util.Locale;
import java.util.Optional;

/** pgBackRest's backup types. */
public enum BackupType {
    FULL, DIFF, INCR;

    /** The spelling of the CLI, the REST API, the schedule and pgBackRest's {@code --type}. */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** "full", "diff" or "incr" (any case); empty for anything else. */
    public static Optional<BackupType> of(String text) {
        if (text == null) {
            return Optional.empty();
        }
        for (BackupType t : values()) {
            if (t.key().equals(text.trim().toLowerCase(Locale.ROOT))) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
