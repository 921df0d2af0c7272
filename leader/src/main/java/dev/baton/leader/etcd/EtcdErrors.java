package dev.baton.leader.etcd;

import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * What a failed etcd request means, as pure functions of the exception jetcd or gRPC raised
 * (Patroni's {@code etcd3.py} keeps the same table in {@code _raise_for_data}).
 *
 * <p>Every failure reaches callers as {@link dev.baton.leader.StoreUnavailableException}; the
 * {@link Kind} only tells the connection whether its client may be broken and must be rebuilt.
 */
final class EtcdErrors {

    /** Who answered a failed request. */
    enum Kind {
        /** etcd itself answered with an error (lease not found, invalid argument, …): the connection is fine. */
        SERVER_VERDICT,
        /** No answer, a transport error or an unclassified failure: the client may be broken. */
        CONNECTIVITY
    }

    private EtcdErrors() {
    }

    /** Classifies a failure (already unwrapped or not). */
    static Kind kind(Throwable t) {
        return switch (statusCode(unwrap(t))) {
            case NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION, INVALID_ARGUMENT, OUT_OF_RANGE,
                 PERMISSION_DENIED, UNAUTHENTICATED, RESOURCE_EXHAUSTED -> Kind.SERVER_VERDICT;
            default -> Kind.CONNECTIVITY;
        };
    }

    /** True when etcd answered that the lease does not exist (it expired or was revoked). */
    static boolean isLeaseNotFound(Throwable t) {
        Throwable cause = unwrap(t);
        if (cause instanceof EtcdException ee && ee.getErrorCode() == ErrorCode.NOT_FOUND) {
            return true;
        }
        if (statusCode(cause) == Status.Code.NOT_FOUND) {
            return true;
        }
        String message = cause == null ? null : cause.getMessage();
        return message != null && message.contains("lease not found");
    }

    /** The gRPC status code of a failure; jetcd's {@link ErrorCode} names the same codes. */
    static Status.Code statusCode(Throwable t) {
        if (t instanceof EtcdException ee && ee.getErrorCode() != null) {
            try {
                return Status.Code.valueOf(ee.getErrorCode().name());
            } catch (IllegalArgumentException ignored) {
                // fall through
            }
        }
        return Status.fromThrowable(t).getCode();
    }

    /** One line for an error message: the status code, its description and the root cause. */
    static String describe(Throwable t) {
        if (t == null) {
            return "unknown error";
        }
        Status status = Status.fromThrowable(t);
        if (status.getCode() != Status.Code.UNKNOWN || t instanceof StatusRuntimeException) {
            StringBuilder sb = new StringBuilder(status.getCode().name());
            if (status.getDescription() != null) {
                sb.append(": ").append(status.getDescription());
            }
            Throwable root = status.getCause();
            while (root != null && root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            if (root != null && root.getMessage() != null) {
                sb.append(" (").append(root.getMessage()).append(')');
            }
            return sb.toString();
        }
        String message = t.getMessage();
        return message == null ? t.getClass().getSimpleName() : message;
    }

    /** Strips the {@link ExecutionException} and {@link CompletionException} wrappers of futures. */
    static Throwable unwrap(Throwable t) {
        Throwable cause = t;
        while ((cause instanceof ExecutionException || cause instanceof CompletionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }
}
