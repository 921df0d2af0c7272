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

    /**
     * True when etcd refused the auth token (it expired: etcd's simple tokens live
     * {@code --auth-token-ttl}, 300 s by default) or the auth store changed since it was issued:
     * a new token is needed.
     */
    static boolean isInvalidToken(Throwable t) {
        String m = messages(t);
        return m.contains("invalid auth token") || m.contains("revision of auth store is old");
    }

    /**
     * Why etcd refused this client's identity, as an operator must read it (naming the key to fix,
     * never the password), or null when it did not: a wrong user or password, or a user without
     * the permission on the keys. Such a request is not retried into success; the agent refuses to
     * start on it.
     */
    static String accessRefusal(Throwable t) {
        String m = messages(t);
        if (m.contains("authentication failed") || m.contains("invalid user id or password")) {
            return "etcd3.password: authentication failed (wrong etcd3.username or etcd3.password)";
        }
        if (m.contains("user name is empty") || m.contains("user name not found")) {
            return "etcd3.username: etcd has authentication enabled and needs a user (etcd3.username and "
                    + "etcd3.password), or a client certificate whose CommonName names one";
        }
        if (statusCode(unwrap(t)) == Status.Code.PERMISSION_DENIED || m.contains("permission denied")) {
            return "etcd3.username: permission denied (the etcd user has no readwrite role on the cluster's keys)";
        }
        return null;
    }

    /** What a failed TLS handshake most likely means, or null when it was not one. */
    static String tlsHint(Throwable t) {
        String m = messages(t);
        if (m.contains("not an ssl/tls record")) {
            return "the etcd endpoint does not speak TLS (is etcd serving plain http? etcd3.protocol is https)";
        }
        if (m.contains("performing tls negotiation")) {
            return "etcd closed the connection during the TLS handshake: it may be serving plain http "
                    + "(etcd3.protocol is https), or it refused the client certificate";
        }
        if (m.contains("names none of the etcd hosts")) {
            return "the server certificate is for another host";
        }
        if (m.contains("pkix path") || m.contains("unable to find valid certification path")
                || m.contains("signature check failed")) {
            return "the etcd server certificate is not signed by the CA of etcd3.cacert";
        }
        if (m.contains("bad_certificate") || m.contains("certificate_required") || m.contains("unknown_ca")) {
            return "etcd refused the client certificate (etcd3.cert/etcd3.key) or none was given";
        }
        return null;
    }

    /** Every message of the cause chain, lower case, for matching etcd's error texts. */
    private static String messages(Throwable t) {
        StringBuilder sb = new StringBuilder();
        int depth = 0;
        for (Throwable c = t; c != null && depth < 10; c = c.getCause(), depth++) {
            if (c.getMessage() != null) {
                sb.append(c.getMessage()).append('\n');
            }
            Status s = Status.fromThrowable(c);
            if (s.getDescription() != null) {
                sb.append(s.getDescription()).append('\n');
            }
        }
        return sb.toString().toLowerCase(java.util.Locale.ROOT);
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
            String hint = tlsHint(t);
            if (hint != null) {
                sb.append(": ").append(hint);
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
