package dev.baton.leader.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.DeleteResponse;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.PutResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;

import java.util.Objects;

import static java.nio.charset.StandardCharsets.UTF_8;

/**
 * The key-value requests {@link EtcdClusterStore} composes its transactions from (range, put,
 * delete, txn, and the compares and operations they take), each bounded by the connection's
 * deadline. A method without a {@link Client} and {@link Deadline} is one whole call with its own
 * deadline; one with them is part of a call that already has them.
 *
 * <p>Every successful write is reported to the {@link ChangeWatcher} as this store's own, so it
 * does not wake the store's own {@code awaitChange}; a compare that failed makes the next read a
 * range read (the cached view the caller decided on was stale).
 */
final class EtcdKv {

    private final EtcdConnection connection;
    private final ChangeWatcher watch;

    EtcdKv(EtcdConnection connection, ChangeWatcher watch) {
        this.connection = connection;
        this.watch = watch;
    }

    /** Every key under {@code prefix}, with the revision of the read. */
    GetResponse range(ByteSequence prefix, String what) {
        Deadline d = connection.deadline();
        Client c = connection.client();
        return connection.await(c, () -> c.getKVClient().get(prefix, GetOption.builder().isPrefix(true).build()), d, what);
    }

    /** One key, or null if absent. */
    KeyValue get(ByteSequence key, String what) {
        Deadline d = connection.deadline();
        return get(connection.client(), d, key, what);
    }

    KeyValue get(Client c, Deadline d, ByteSequence key, String what) {
        GetResponse r = connection.await(c, () -> c.getKVClient().get(key), d, what);
        return r.getKvs().isEmpty() ? null : r.getKvs().get(0);
    }

    /** Puts {@code value} without a lease. */
    void put(ByteSequence key, String value, String what) {
        Objects.requireNonNull(value, "value");
        Deadline d = connection.deadline();
        Client c = connection.client();
        PutResponse r = connection.await(c, () -> c.getKVClient().put(key, bytes(value)), d, what);
        watch.noteOwnRevision(r.getHeader().getRevision());
    }

    /** Puts {@code value} bound to the lease {@code leaseId}. */
    void put(Client c, Deadline d, ByteSequence key, ByteSequence value, long leaseId, String what) {
        PutResponse r = connection.await(c, () -> c.getKVClient().put(key, value,
                PutOption.builder().withLeaseId(leaseId).build()), d, what);
        watch.noteOwnRevision(r.getHeader().getRevision());
    }

    /** Deletes {@code key} unconditionally (every key under it if {@code option} says prefix). */
    void delete(ByteSequence key, DeleteOption option, String what) {
        Deadline d = connection.deadline();
        Client c = connection.client();
        DeleteResponse r = connection.await(c, () -> c.getKVClient().delete(key, option), d, what);
        if (r.getDeleted() > 0) {
            watch.noteOwnRevision(r.getHeader().getRevision());
        }
    }

    /** Runs If(cmps) Then(ops) as one call and returns whether the compare held. */
    boolean txn(String what, Cmp[] cmps, Op... then) {
        Deadline d = connection.deadline();
        return txn(connection.client(), d, what, cmps, then);
    }

    boolean txn(Client c, Deadline d, String what, Cmp[] cmps, Op... then) {
        TxnResponse r = connection.await(c, () -> c.getKVClient().txn().If(cmps).Then(then).commit(), d, what);
        if (r.isSucceeded()) {
            watch.noteOwnRevision(r.getHeader().getRevision());
        } else {
            watch.staleView();
        }
        return r.isSucceeded();
    }

    /** The key does not exist (its create revision is 0). */
    static Cmp absent(ByteSequence key) {
        return new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(0));
    }

    static Cmp modRevisionIs(ByteSequence key, long modRevision) {
        return new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(modRevision));
    }

    /** The key holds {@code expected}; etcd fails a value compare on a missing key, so it must also exist. */
    static Cmp valueIs(ByteSequence key, ByteSequence expected) {
        return new Cmp(key, Cmp.Op.EQUAL, CmpTarget.value(expected));
    }

    static Op putOp(ByteSequence key, ByteSequence value) {
        return Op.put(key, value, PutOption.DEFAULT);
    }

    static Op putWithLeaseOp(ByteSequence key, ByteSequence value, long leaseId) {
        return Op.put(key, value, PutOption.builder().withLeaseId(leaseId).build());
    }

    static Op deleteOp(ByteSequence key) {
        return Op.delete(key, DeleteOption.DEFAULT);
    }

    static ByteSequence bytes(String s) {
        return ByteSequence.from(s, UTF_8);
    }
}
