package dev.baton.config.tls;

/**
 * Key material named by a configuration could not be used: a file is missing or unreadable, holds
 * no certificate or key, the key's password is wrong, or the key does not match the certificate.
 * The message names the file and what is wrong, never a password or key bytes.
 */
public final class TlsException extends Exception {
    public TlsException(String message) {
        super(message);
    }

    public TlsException(String message, Throwable cause) {
        super(message, cause);
    }
}
