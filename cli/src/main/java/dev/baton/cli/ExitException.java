package dev.baton.cli;

/** Ends a command with an exit code and a one-line message. */
public final class ExitException extends RuntimeException {
    private final int code;

    public ExitException(int code, String message) {
        super(message);
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static ExitException badInput(String message) {
        return new ExitException(BaseCommand.EXIT_BAD_INPUT, message);
    }

    public static ExitException failed(String message) {
        return new ExitException(BaseCommand.EXIT_FAILED, message);
    }
}
