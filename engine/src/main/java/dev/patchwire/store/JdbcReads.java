package dev.patchwire.store;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The consistent reads of embedded H2 on plain JDBC, each statement run on a worker thread. Not
 * vertx-jdbc-client: its row decoder rebuilds the column descriptors for every row it reads
 * ({@code JDBCTypeWrapper.of}, {@code getMetaData()}), 78 % of a 10,000-document snapshot's CPU
 * (benchmarks/RESULTS.md), where these reads only need {@code getObject} of a few text and
 * number columns.
 *
 * <p>At most {@code concurrent} reads hold a connection at once; the others wait for one in the
 * order they asked, with no timeout, as the pool they replace did. Connections are opened when
 * first needed and kept, with their prepared statements, for the next read.
 */
final class JdbcReads {

  private final Vertx vertx;
  private final String url;
  private final int concurrent;
  private final ArrayDeque<Session> idle = new ArrayDeque<>();
  private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();
  /** Places taken: sessions handed out, and those being opened for a reader. */
  private int taken;
  private boolean closed;

  private record Waiter(Context context, Promise<Session> promise) {
  }

  JdbcReads(Vertx vertx, String url, int concurrent) {
    this.vertx = vertx;
    this.url = url;
    this.concurrent = concurrent;
  }

  /** A session once a place is free, completed on {@code context}. */
  Future<Session> acquire(Context context) {
    Session ready;
    synchronized (this) {
      if (closed) {
        return Future.failedFuture(new IllegalStateException("the store is closed"));
      }
      if (taken >= concurrent) {
        Promise<Session> p = Promise.promise();
        waiting.add(new Waiter(context, p));
        return p.future();
      }
      taken++;
      ready = idle.poll();
    }
    return ready != null ? Future.succeededFuture(ready) : open(context);
  }

  private Future<Session> open(Context context) {
    return context.<Session>executeBlocking(() -> new Session(DriverManager.getConnection(url, "sa", "")), false)
        .onFailure(e -> release(null));
  }

  /** Gives a place back: to the first reader waiting, or to the idle sessions. Null: the session is gone. */
  private void release(Session session) {
    Waiter next;
    synchronized (this) {
      if (closed && session != null) {
        session.closeQuietly();
        session = null;
      }
      next = waiting.poll();
      if (next == null) {
        taken--;
        if (session != null) {
          idle.push(session);
        }
        return;
      }
    }
    if (session != null) {
      Session s = session;
      next.context().runOnContext(v -> next.promise().complete(s));
    } else {
      Waiter w = next;
      open(w.context()).onComplete(w.promise());
    }
  }

  /**
   * Closes the idle connections (on a worker: closing H2's last connection closes the database,
   * which writes its file) and the others when their reads end; refuses new reads.
   */
  Future<Void> close() {
    List<Session> toClose;
    List<Waiter> refused;
    synchronized (this) {
      closed = true;
      toClose = new ArrayList<>(idle);
      idle.clear();
      refused = new ArrayList<>(waiting);
      waiting.clear();
    }
    refused.forEach(w -> w.promise().tryFail(new IllegalStateException("the store is closed")));
    return vertx.executeBlocking(() -> {
      toClose.forEach(Session::closeQuietly);
      return null;
    }, false);
  }

  /**
   * One connection, used by one read at a time, its statements one after another (each on
   * whichever worker thread runs it: the futures between them order the accesses).
   */
  final class Session {
    private final Connection conn;
    private final Map<String, PreparedStatement> statements = new HashMap<>();

    private Session(Connection conn) throws SQLException {
      this.conn = conn;
      conn.setAutoCommit(false);
    }

    /** Blocking: H2's SNAPSHOT isolation for the transaction the next statement starts. */
    void beginSnapshot() throws SQLException {
      conn.setTransactionIsolation(H2Dialect.H2_TRANSACTION_SNAPSHOT);
    }

    /** Blocking: runs one query; its rows, each as its column values. */
    List<Object[]> query(String sql, Object[] args) throws SQLException {
      PreparedStatement st = statements.get(sql);
      if (st == null) {
        st = conn.prepareStatement(sql);
        statements.put(sql, st);
      }
      for (int i = 0; i < args.length; i++) {
        st.setObject(i + 1, args[i]);
      }
      try (ResultSet rs = st.executeQuery()) {
        int columns = rs.getMetaData().getColumnCount();
        List<Object[]> rows = new ArrayList<>();
        while (rs.next()) {
          Object[] row = new Object[columns];
          for (int c = 0; c < columns; c++) {
            row[c] = rs.getObject(c + 1);
          }
          rows.add(row);
        }
        return rows;
      }
    }

    /** Blocking: ends the read's transaction (it wrote nothing), then gives the place back. */
    void end() {
      boolean reusable;
      try {
        conn.rollback();
        reusable = true;
      } catch (SQLException e) {
        closeQuietly();
        reusable = false;
      }
      release(reusable ? this : null);
    }

    private void closeQuietly() {
      try {
        conn.close();
      } catch (SQLException ignored) {
        // closing a broken connection: nothing more to do
      }
    }
  }
}
