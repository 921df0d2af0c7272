package dev.baton.agent.client;

/**
 * A REST client's settings name key material that cannot be used: a missing or unreadable file,
 * a wrong key password, a key that does not belong to its certificate. The message starts with the
 * setting ({@code ctl.keyfile: ...}); the CLI exits 2 with it and the agent refuses to start.
 */
public final class ClientSetupException extends Exception {
    private final String key;

    public ClientSetupException(String key, String message, Throwable cause) {
        super(key + ": " + message, cause);
        this.key = key;
    }

    /** The setting at fault, e.g. {@code ctl.keyfile} or {@code --cacert}. */
    public String key() {
        return key;
    }

    /** What is wrong, without the setting's name. */
    public String problem() {
        return getMessage().substring(key.length() + 2);
    }
}
