package dev.baton.aws.routing;

import java.util.Locale;
import java.util.Set;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * A failed AWS API call, classified for the retry policy. The message names the operation and
 * the error code; it never carries credentials (the SDK does not put them in messages).
 */
final class RoutingCallException extends Exception {
    private static final long serialVersionUID = 1L;

    /** How a call failed. */
    enum Kind {
        /** Throttled (Throttling, RequestLimitExceeded, HTTP 429): back off harder. */
        THROTTLED,
        /** The service failed (HTTP 5xx). */
        SERVER,
        /** The request was refused (HTTP 4xx: not found, access denied, invalid target...). */
        CLIENT,
        /** No answer: connection refused, timeout, no credentials, no route. */
        NETWORK
    }

    private static final Set<String> THROTTLING_CODES = Set.of("throttling", "throttlingexception",
            "requestlimitexceeded", "toomanyrequestsexception", "requestthrottled", "requestthrottledexception",
            "slowdown", "provisionedthroughputexceededexception", "bandwidthlimitexceeded");

    private final Kind kind;
    private final String operation;
    private final String code;

    RoutingCallException(Kind kind, String operation, String code, String message, Throwable cause) {
        super(operation + " failed: " + message, cause);
        this.kind = kind;
        this.operation = operation;
        this.code = code;
    }

    Kind kind() {
        return kind;
    }

    String operation() {
        return operation;
    }

    /** The AWS error code ("TargetGroupNotFound", ...), or "" when there is none. */
    String code() {
        return code;
    }

    boolean throttled() {
        return kind == Kind.THROTTLED;
    }

    /** Classifies an SDK exception thrown by {@code operation}. */
    static RoutingCallException from(String operation, SdkException e) {
        if (e instanceof AwsServiceException s) {
            String code = s.awsErrorDetails() == null || s.awsErrorDetails().errorCode() == null
                    ? "" : s.awsErrorDetails().errorCode();
            String text = s.awsErrorDetails() == null || s.awsErrorDetails().errorMessage() == null
                    ? String.valueOf(s.getMessage()) : s.awsErrorDetails().errorMessage();
            int status = s.statusCode();
            Kind kind;
            if (s.isThrottlingException() || status == 429 || THROTTLING_CODES.contains(code.toLowerCase(Locale.ROOT))) {
                kind = Kind.THROTTLED;
            } else if (status >= 500) {
                kind = Kind.SERVER;
            } else {
                kind = Kind.CLIENT;
            }
            return new RoutingCallException(kind, operation, code,
                    (code.isEmpty() ? "" : code + ": ") + text + " (HTTP " + status + ")", e);
        }
        String text = e instanceof SdkClientException ? e.getMessage() : e.toString();
        return new RoutingCallException(Kind.NETWORK, operation, "", String.valueOf(text), e);
    }
}
