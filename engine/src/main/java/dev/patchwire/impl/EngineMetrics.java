package dev.patchwire.impl;

import dev.patchwire.msg.History;
import dev.patchwire.msg.MsgStore;
import dev.patchwire.store.DocumentStore;
import dev.patchwire.stream.StreamStats;
import dev.patchwire.stream.Streams;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import java.util.EnumSet;

/**
 * The engine's Prometheus meters, served at {@code GET /metrics}: open subscribers by transport,
 * messages pushed, deliveries, drops, resyncs, history size, write latency; plus Vert.x's own
 * (event bus, pool) when the Vertx was built by {@link #vertx}.
 *
 * <p>No label takes a value a client chooses: every new label value is a new series held for
 * good, so 85,000 requests with made-up method names once filled the heap through Vert.x's HTTP
 * server meters (now off, see {@link #vertx}); the engine's own meters carry only server-chosen
 * tags (the transport).
 */
public final class EngineMetrics {

  private EngineMetrics() {
  }

  public static PrometheusMeterRegistry newRegistry() {
    return new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  }

  /**
   * A Vertx that reports its own metrics into {@code registry}, on Netty's native transport (epoll
   * on Linux x86_64) when it loads, else on NIO (see {@link #transport}). The system property
   * {@code patchwire.transport=io_uring} asks for Netty's io_uring transport instead (a measuring
   * switch, see benchmarks/RESULTS.md); where io_uring cannot start it falls back the same way.
   */
  public static Vertx vertx(PrometheusMeterRegistry registry) {
    io.vertx.core.VertxBuilder builder = Vertx.builder()
        .with(new VertxOptions().setPreferNativeTransport(true).setMetricsOptions(new MicrometerMetricsOptions()
            .setEnabled(true)
            // the embedded database has no network client to measure; writes have their own timer
            .addDisabledMetricsCategory("sql")
            // Vert.x's HTTP server meters are off: stream frames bypass them anyway (they are
            // written below Vert.x), and under load a request whose metric Vert.x left null threw
            // inside the meters and its answer never went out; the engine's own patchwire_*
            // meters stay
            .addDisabledMetricsCategory(MetricsDomain.HTTP_SERVER)
            .setLabels(EnumSet.of(Label.HTTP_CODE, Label.POOL_TYPE, Label.POOL_NAME, Label.EB_SIDE))
            .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true))))
        .withMetrics(new MicrometerMetricsFactory(registry));
    if (ioUringAsked()) {
      // Vert.x picks io_uring by itself only where epoll is missing: name it
      builder.withTransport(io.vertx.core.transport.Transport.IO_URING);
    }
    return builder.build();
  }

  private static boolean ioUringAsked() {
    io.vertx.core.transport.Transport ioUring = io.vertx.core.transport.Transport.IO_URING;
    return "io_uring".equals(System.getProperty("patchwire.transport")) && ioUring != null && ioUring.available();
  }

  /**
   * The socket transport {@code vertx} runs on, for the startup log: {@code epoll} (or another
   * native one), else {@code nio} with why the native one did not load.
   */
  public static String transport(Vertx vertx) {
    if (vertx.isNativeTransportEnabled()) {
      // the one Vert.x runs on (public API names the native one Vert.x would pick, not the one asked for)
      String impl = ((io.vertx.core.internal.VertxInternal) vertx).transport().getClass().getSimpleName();
      return impl.startsWith("IoUring") ? "io_uring" : impl.startsWith("Epoll") ? "epoll"
          : impl.startsWith("KQueue") ? "kqueue" : impl;
    }
    Throwable why = vertx.unavailableNativeTransportCause();
    return why == null ? "nio" : "nio (native transport unavailable: " + why + ")";
  }

  /** Registers the engine's meters; returns the write-latency timer for the HTTP layer. */
  static Timer bind(PrometheusMeterRegistry r, Streams streams, MsgStore msgStore, DocumentStore store) {
    Gauge.builder("patchwire_subscribers", streams.admission(), s -> s.openCount("ws"))
        .description("open stream subscribers").tag("transport", "ws").register(r);
    Gauge.builder("patchwire_subscribers", streams.admission(), s -> s.openCount("sse"))
        .description("open stream subscribers").tag("transport", "sse").register(r);
    FunctionCounter.builder("patchwire_messages_pushed", msgStore, MsgStore::pushed)
        .description("committed changes pushed to the MsgStore").register(r);
    FunctionCounter.builder("patchwire_deliveries", streams.stats(), StreamStats::deliveries)
        .description("live and replayed patch frames handed to sockets").register(r);
    FunctionCounter.builder("patchwire_drops", streams.stats(), StreamStats::drops)
        .description("live messages dropped for lagging subscribers").register(r);
    FunctionCounter.builder("patchwire_resyncs", streams.stats(), StreamStats::resyncs)
        .description("resyncs of lagging subscribers").register(r);
    FunctionCounter.builder("patchwire_lag_closes", streams.stats(), StreamStats::lagCloses)
        .description("lagging subscribers closed with 4008 (lag=close)").register(r);
    History h = msgStore.history();
    Gauge.builder("patchwire_history_bytes", h, History::bytes)
        .description("bytes held by the in-memory history").register(r);
    Gauge.builder("patchwire_history_entries", h, History::size)
        .description("changes held by the in-memory history").register(r);
    Gauge.builder("patchwire_seq", store, DocumentStore::committedSeq)
        .description("seq of the newest change this node has published").register(r);
    if (store.shared()) {
      Gauge.builder("patchwire_tail_applied_seq", store, s -> s.tailStats().appliedSeq())
          .description("seq of the last change this node's tailer applied").register(r);
      Gauge.builder("patchwire_tail_lag_changes", store, s -> s.tailStats().lagChanges())
          .description("changes committed and not yet applied on this node").register(r);
      Gauge.builder("patchwire_tail_lag_millis", store, s -> s.tailStats().lagMillis())
          .description("commit-to-apply delay of the last change applied, ms").register(r);
      FunctionCounter.builder("patchwire_tail_notifications", store, s -> s.tailStats().notifications())
          .description("NOTIFY wake-ups received").register(r);
      FunctionCounter.builder("patchwire_tail_polls", store, s -> s.tailStats().polls())
          .description("safety polls of the change log").register(r);
      FunctionCounter.builder("patchwire_tail_log_gaps", store, s -> s.tailStats().gaps())
          .description("times the log was compacted past this node's seq (subscribers resynced)")
          .register(r);
    }
    return Timer.builder("patchwire_write")
        .description("time from a write request to its answer")
        .publishPercentiles(0.5, 0.9, 0.99)
        .register(r);
  }
}
