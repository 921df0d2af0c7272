package dev.baton.agent.backup;

/** A backup repository operation failed; the message carries pgBackRest's words (no secrets). */
public class BackupException extends RuntimeException {
    public BackupException(String message) {
        super(message);
    }

    public BackupException(String message, Throwable cause) {
        super(message, cause);
    }
}
