package dev.baton.aws.emulator;

/**
 * An AWS API error the emulator answers with: the HTTP status and the error code the SDK maps to
 * an exception class (ELB) or to {@code awsErrorDetails().errorCode()} (EC2).
 */
final class ApiError extends RuntimeException {
    final int status;
    final String code;

    ApiError(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    /** A 400 error, the status of every client error the emulated services send. */
    static ApiError bad(String code, String message) {
        return new ApiError(400, code, message);
    }
}
