package dev.baton.leader;

/** The store could not be reached or did not answer in time. Not the same as a lost race. */
public class StoreUnavailableException extends RuntimeException {
    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    public StoreUnavailableException(String message) {
        super(message);
    }
}
