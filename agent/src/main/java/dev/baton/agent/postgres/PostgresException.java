package dev.baton.agent.postgres;

/** A PostgreSQL action failed; the message says which and why (the program's last output lines). */
public class PostgresException extends RuntimeException {
    public PostgresException(String message) {
        super(message);
    }

    public PostgresException(String message, Throwable cause) {
        super(message, cause);
    }
}
