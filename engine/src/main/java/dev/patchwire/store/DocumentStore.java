package dev.patchwire.store;

import dev.patchwire.json.DocLimits;
import dev.patchwire.msg.Change;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.pgclient.pubsub.PgSubscriber;
import io.vertx.sqlclient.Pool;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * The documents and their change log (in H2, or in PostgreSQL shared by several nodes: see
 * {@link StoreDialect}), as the rest of the engine sees them: one verticle whose context the
 * writer runs on, made of one part per job.
 *
 * <ul>
 *   <li>{@link StorePools}: the connection pools, one per job, and the schema they open on;
 *   <li>{@link GroupCommitWriter}: the single writer that gives every change its seq and
 *       commits the writes waiting together in one transaction, by the {@link WriteRules}
 *       (what a POST, PUT, PATCH or DELETE may do to a document);
 *   <li>{@link DocumentReads}: single documents in one statement, collections and change-log
 *       replays in pages of one {@link ConsistentRead};
 *   <li>{@link Compaction}: trims the change log to its retention;
 *   <li>on PostgreSQL, {@link ChangeTailer}: brings every node's committed changes to the
 *       publisher (the MsgStore) in seq order; on H2 the writer publishes its own.
 * </ul>
 */
public final class DocumentStore extends VerticleBase {

  private final StoreDialect dialect;
  private final Map<String, CollectionSpec> collections;
  private final Reads reads;
  private final Retention retention;
  private final GroupCommitWriter writer;
  /** Set at start. */
  private StorePools pools;
  private DocumentReads reader;
  private Compaction compaction;
  private String epoch;
  /** On PostgreSQL, what brings every node's changes to the publisher; null on H2. */
  private ChangeTailer tailer;
  private Pool tailPool;
  private LongConsumer onGap = seq -> { };

  /** How much of the change log to keep, and how often to trim it. */
  public record Retention(Duration maxAge, long maxBytes, long compactEveryMillis) {
  }

  /**
   * How many consistent reads run at once, and how long one may last (then it is closed, so that
   * a client that stops reading its snapshot cannot keep its place forever).
   */
  public record Reads(int concurrent, long timeoutMillis) {

    public static final Reads DEFAULT = new Reads(4, 60_000);

    public Reads {
      if (concurrent <= 0 || timeoutMillis <= 0) {
        throw new IllegalArgumentException("snapshot reads and their timeout must be positive");
      }
    }
  }

  public DocumentStore(Path dataDir, Map<String, CollectionSpec> collections, Retention retention) {
    this(dataDir, collections, retention, Reads.DEFAULT);
  }

  public DocumentStore(Path dataDir, Map<String, CollectionSpec> collections, Retention retention,
      Reads reads) {
    this(dataDir, null, collections, retention, reads);
  }

  /**
   * @param databaseUrl {@code postgresql://USER[:PASSWORD]@HOST:PORT/DB} to share one PostgreSQL
   *     with other nodes; null for H2 under {@code dataDir}
   */
  public DocumentStore(Path dataDir, String databaseUrl, Map<String, CollectionSpec> collections,
      Retention retention, Reads reads) {
    this.dialect = databaseUrl == null ? new H2Dialect(dataDir) : new PgDialect(databaseUrl);
    this.collections = Map.copyOf(collections);
    this.retention = retention;
    this.reads = reads;
    this.writer = new GroupCommitWriter(dialect, this.collections);
  }

  @Override
  public Future<?> start() throws Exception {
    pools = StorePools.open(vertx, dialect, reads.concurrent());
    reader = new DocumentReads(vertx, dialect, pools.read, pools.snapshot, pools.jdbcReads,
        reads.timeoutMillis());
    compaction = new Compaction(vertx, dialect, pools.read, retention);
    return pools.createSchema(dialect).onSuccess(schema -> {
      epoch = schema.epoch();
      writer.start(context, pools.write, schema.headSeq());
      compaction.start();
    });
  }

  /** "h2" or "postgresql". */
  public String kind() { return dialect.name(); }

  /** Where the data lives: the H2 folder, or the PostgreSQL URL without its password. */
  public String location() { return dialect.describe(); }

  /** True when this node shares its database with others (PostgreSQL). */
  public boolean shared() { return dialect.shared(); }

  /**
   * Begins a consistent read (see {@link ConsistentRead}) once one of the
   * {@link Reads#concurrent()} places is free; reads wait in the order they asked. Call from the
   * context that will use the read. The caller must close it.
   */
  public Future<ConsistentRead> openRead() {
    return reader.openRead();
  }

  /** Consistent reads running now. */
  public int readsOpen() { return reader.readsOpen(); }

  /** Consistent reads waiting for a place. */
  public int readsWaiting() { return reader.readsWaiting(); }

  /** The writer, for the tests of this package. */
  GroupCommitWriter writer() {
    return writer;
  }

  /** The read pool, for the tests of this package. */
  Pool readPool() {
    return pools.read;
  }

  /** Removes change-log rows past the retention now; the count removed. */
  public Future<Long> compactNow() {
    return compaction.compactNow();
  }

  @Override
  public Future<?> stop() {
    if (compaction != null) {
      compaction.stop();
    }
    Future<Void> tail = tailer == null ? Future.succeededFuture()
        : Future.join(tailer.stop(), tailPool.close()).mapEmpty();
    return pools == null ? tail : Future.join(tail, pools.close());
  }

  public String epoch() { return epoch; }

  /**
   * Seq of the newest committed change this node has published: on H2 its writer's last commit,
   * on PostgreSQL the last change its tailer applied (another node may have committed more).
   */
  public long committedSeq() { return tailer != null ? tailer.applied() : writer.committedSeq(); }

  public boolean hasCollection(String name) { return collections.containsKey(name); }

  /**
   * Holds every document a write leaves to {@code limits} (PUT and POST bodies after their
   * defaults, patches while they apply): past them the write is refused with
   * {@code document_too_large} or {@code nesting_too_deep}. Set once before the first write; no
   * limits by default.
   */
  public void limitDocuments(DocLimits limits) {
    writer.limitDocuments(limits);
  }

  /** The limits every document a write leaves is held to. */
  public DocLimits docLimits() {
    return writer.docLimits();
  }

  /**
   * Where committed changes go, in seq order, starting after {@link #committedSeq()} as it is
   * now. Set once before the first write. On PostgreSQL this starts the tailer, which publishes
   * every node's changes, this one's included.
   */
  public void publishTo(Consumer<Change> publisher) {
    writer.publishTo(publisher);
    if (dialect instanceof PgDialect pg) {
      tailPool = dialect.pool(vertx, "patchwire-tail", 1, false);
      tailer = new ChangeTailer(context, tailPool, PgSubscriber.subscriber(vertx, pg.connectOptions()),
          writer.lastSeq(), publisher, seq -> onGap.accept(seq));
      writer.publishThrough(tailer);
      context.runOnContext(v -> tailer.start());
    }
  }

  /**
   * Called with the seq the tailer continues from when it found the log compacted past what this
   * node had applied (PostgreSQL only): the changes in between cannot be told, so the history
   * must be dropped and the subscribers resynced.
   */
  public void onLogGap(LongConsumer onGap) {
    this.onGap = onGap;
  }

  /**
   * Completes once this node has published every change committed (by any node) before the
   * call: on H2 at once, on PostgreSQL once the tailer has applied the database's head as read
   * now. A stream waits for it before it answers from memory, so that a client sees on any node
   * what was acknowledged before it connected, as on one node. Fails after {@code timeoutMillis}
   * or when the database does not answer.
   */
  public Future<Void> caughtUp(long timeoutMillis) {
    ChangeTailer t = tailer;
    if (t == null) {
      return Future.succeededFuture();
    }
    return reader.sharedHead().compose(head -> {
      Promise<Void> p = Promise.promise();
      context.runOnContext(v -> t.awaitApplied(head, timeoutMillis).onComplete(p));
      return p.future();
    });
  }

  /** The tailer's numbers (PostgreSQL), or null on H2. */
  public TailStats tailStats() {
    ChangeTailer t = tailer;
    return t == null ? null : new TailStats(t.applied(), t.lagChanges(), t.lagMillis(),
        t.notifications(), t.polls(), t.gaps());
  }

  /** See {@link ChangeTailer}: applied seq, lag in changes and ms, wake-ups, compaction gaps. */
  public record TailStats(long appliedSeq, long lagChanges, long lagMillis, long notifications,
      long polls, long gaps) {
  }

  /**
   * Called once, on the writer's context, when a database failure leaves the outcome of a commit
   * unknown. {@code Main} exits so that a supervisor restarts the engine on its durable state.
   */
  public void onFatal(Consumer<Throwable> onFatal) {
    writer.onFatal(onFatal);
  }

  /** Past this many writes waiting for an answer, new ones fail with {@link StoreOverloaded}. */
  public void limitQueue(int maxQueued) {
    writer.limitQueue(maxQueued);
  }

  /** The failure that stopped the writer, or null while it takes writes. */
  public Throwable failure() {
    StoreUnavailable b = writer.broken();
    return b == null ? null : b.getCause();
  }

  /** True while the writer takes writes. */
  public boolean writable() {
    return writer.broken() == null;
  }

  /**
   * Queues a write; the future fails with {@link WriteRejected} when it is refused, and with
   * {@link StoreUnavailable} once the writer has stopped, and with {@link StoreOverloaded} when
   * its queue is full.
   */
  public Future<WriteResult> write(Write write) {
    return writer.write(write);
  }

  /**
   * The whole collection as of one seq, in memory: for small collections and tests only (streams
   * and {@code GET .../docs} write the pages of a {@link #openRead} as they come).
   */
  public Future<Snapshot> snapshot(String collection) {
    return reader.snapshot(collection);
  }

  /** One document (null doc when absent) with the store's seq at the time of the read. */
  public Future<Snapshot> get(String collection, String id) {
    return reader.get(collection, id);
  }

  /** True when the database answers a trivial query. */
  public Future<Boolean> ping() {
    StoreUnavailable broken = writer.broken();
    if (broken != null) {
      return Future.failedFuture(broken);
    }
    return reader.ping();
  }
}
