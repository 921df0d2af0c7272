package dev.baton.leader.etcd;

import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdExceptionFactory;
import io.grpc.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.ConnectException;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

import static dev.baton.leader.etcd.EtcdErrors.Kind.CONNECTIVITY;
import static dev.baton.leader.etcd.EtcdErrors.Kind.SERVER_VERDICT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EtcdErrorsTest {

    /** The codes with which etcd itself answered: the connection works, so the client is kept. */
    private static final Set<Status.Code> VERDICTS = Set.of(Status.Code.NOT_FOUND, Status.Code.ALREADY_EXISTS,
            Status.Code.FAILED_PRECONDITION, Status.Code.INVALID_ARGUMENT, Status.Code.OUT_OF_RANGE,
            Status.Code.PERMISSION_DENIED, Status.Code.UNAUTHENTICATED, Status.Code.RESOURCE_EXHAUSTED);

    @ParameterizedTest
    @EnumSource(Status.Code.class)
    void everyGrpcStatusIsAVerdictOrAConnectivityFailure(Status.Code code) {
        EtcdErrors.Kind expected = VERDICTS.contains(code) ? SERVER_VERDICT : CONNECTIVITY;
        assertEquals(expected, EtcdErrors.kind(code.toStatus().asRuntimeException()), "grpc " + code);
        // jetcd's own exception carries the same codes by name (all but OK).
        if (code != Status.Code.OK) {
            ErrorCode etcdCode = ErrorCode.valueOf(code.name());
            assertEquals(expected, EtcdErrors.kind(EtcdExceptionFactory.newEtcdException(etcdCode, "x")), "jetcd " + code);
        }
        // Wrapped by a future: the same.
        assertEquals(expected, EtcdErrors.kind(new ExecutionException(code.toStatus().asRuntimeException())));
    }

    @Test
    void failuresWithoutStatusAreConnectivityFailures() {
        assertEquals(CONNECTIVITY, EtcdErrors.kind(new ConnectException("Connection refused")));
        assertEquals(CONNECTIVITY, EtcdErrors.kind(new IllegalStateException("client closed")));
        assertEquals(CONNECTIVITY, EtcdErrors.kind(new CompletionException(new IOException("reset"))));
    }

    @Test
    void leaseNotFoundIsRecognisedInEveryForm() {
        assertTrue(EtcdErrors.isLeaseNotFound(EtcdExceptionFactory.newEtcdException(ErrorCode.NOT_FOUND,
                "etcdserver: requested lease not found")));
        assertTrue(EtcdErrors.isLeaseNotFound(Status.NOT_FOUND.withDescription("etcdserver: requested lease not found")
                .asRuntimeException()));
        assertTrue(EtcdErrors.isLeaseNotFound(new CompletionException(Status.NOT_FOUND.asRuntimeException())));
        assertTrue(EtcdErrors.isLeaseNotFound(new IllegalStateException("etcdserver: requested lease not found")));

        assertFalse(EtcdErrors.isLeaseNotFound(Status.UNAVAILABLE.asRuntimeException()));
        assertFalse(EtcdErrors.isLeaseNotFound(EtcdExceptionFactory.newEtcdException(ErrorCode.DEADLINE_EXCEEDED, "slow")));
        assertFalse(EtcdErrors.isLeaseNotFound(new ConnectException("Connection refused")));
        assertFalse(EtcdErrors.isLeaseNotFound(new IllegalStateException()));
    }

    @Test
    void describeGivesCodeDescriptionAndRootCause() {
        assertEquals("UNAVAILABLE: io exception (Connection refused)", EtcdErrors.describe(Status.UNAVAILABLE
                .withDescription("io exception")
                .withCause(new IOException("wrapper", new ConnectException("Connection refused")))
                .asRuntimeException()));
        assertEquals("DEADLINE_EXCEEDED", EtcdErrors.describe(Status.DEADLINE_EXCEEDED.asRuntimeException()));
        assertEquals("UNKNOWN: boom", EtcdErrors.describe(Status.UNKNOWN.withDescription("boom").asRuntimeException()));
        assertEquals("Connection refused", EtcdErrors.describe(new ConnectException("Connection refused")));
        assertEquals("IllegalStateException", EtcdErrors.describe(new IllegalStateException()));
        assertEquals("unknown error", EtcdErrors.describe(null));
    }

    @Test
    void unwrapStripsFutureWrappersOnly() {
        IOException root = new IOException("root");
        assertSame(root, EtcdErrors.unwrap(new ExecutionException(new CompletionException(root))));
        assertSame(root, EtcdErrors.unwrap(root));
        RuntimeException withCause = new RuntimeException(root);
        assertSame(withCause, EtcdErrors.unwrap(withCause), "other wrappers are kept");
        CompletionException empty = new CompletionException(null);
        assertSame(empty, EtcdErrors.unwrap(empty));
    }

    @Test
    void refusedIdentitiesNameTheKeyToFixAndNoPassword() {
        Throwable badPassword = Status.UNAUTHENTICATED.withCause(Status.INVALID_ARGUMENT
                .withDescription("etcdserver: authentication failed, invalid user ID or password")
                .asRuntimeException()).asRuntimeException();
        assertEquals("etcd3.password: authentication failed (wrong etcd3.username or etcd3.password)",
                EtcdErrors.accessRefusal(new ExecutionException(badPassword)));
        assertTrue(EtcdErrors.accessRefusal(Status.PERMISSION_DENIED
                .withDescription("etcdserver: permission denied").asRuntimeException()).startsWith("etcd3.username:"));
        assertTrue(EtcdErrors.accessRefusal(Status.INVALID_ARGUMENT
                .withDescription("etcdserver: user name is empty").asRuntimeException()).startsWith("etcd3.username:"));
        assertEquals(null, EtcdErrors.accessRefusal(Status.UNAVAILABLE.asRuntimeException()));
    }

    @Test
    void anExpiredTokenIsRecognised() {
        assertTrue(EtcdErrors.isInvalidToken(Status.UNAUTHENTICATED
                .withDescription("etcdserver: invalid auth token").asRuntimeException()));
        assertTrue(EtcdErrors.isInvalidToken(new CompletionException(Status.INVALID_ARGUMENT
                .withDescription("etcdserver: revision of auth store is old").asRuntimeException())));
        assertFalse(EtcdErrors.isInvalidToken(Status.UNAVAILABLE.asRuntimeException()));
    }

    @Test
    void failedHandshakesSayWhatIsWrong() {
        Throwable plaintext = Status.UNAVAILABLE.withDescription("io exception").withCause(
                new javax.net.ssl.SSLException("not an SSL/TLS record: 000006040000")).asRuntimeException();
        assertTrue(EtcdErrors.describe(plaintext).endsWith("(is etcd serving plain http? etcd3.protocol is https)"),
                EtcdErrors.describe(plaintext));
        Throwable untrusted = Status.UNAVAILABLE.withCause(new javax.net.ssl.SSLHandshakeException(
                "PKIX path building failed")).asRuntimeException();
        assertTrue(EtcdErrors.describe(untrusted).contains("not signed by the CA of etcd3.cacert"),
                EtcdErrors.describe(untrusted));
        assertEquals(null, EtcdErrors.tlsHint(new ConnectException("Connection refused")));
    }
}
