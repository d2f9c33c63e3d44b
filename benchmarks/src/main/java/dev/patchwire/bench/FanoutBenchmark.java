package dev.patchwire.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.json.Json;
import dev.patchwire.json.Patches;
import dev.patchwire.json.Pointer;
import dev.patchwire.msg.Change;
import dev.patchwire.msg.MsgStore;
import dev.patchwire.stream.Delivery;
import dev.patchwire.stream.Filter;
import dev.patchwire.stream.StreamSink;
import dev.patchwire.wire.WsFrames;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost of one delivered message in the fan-out: filter matching, frame encoding and the hand-over
 * to the subscriber (a counting sink: the socket is the load run's business). One operation is one
 * delivery; an invocation publishes {@link #CHANGES} changes to {@link #SUBSCRIBERS} subscribers.
 *
 * <ul>
 *   <li>{@code engine}: patchwire's {@code Fanout}, one consumer per event loop, each frame encoded
 *       once per change and shared by every subscriber.
 *   <li>{@code naiveSerializePerSubscriber}: one consumer, but the frame is serialized with
 *       Jackson for each subscriber (the patch itself is computed once per change).
 *   <li>{@code naiveConsumerPerSubscriber}: one event-bus consumer per subscriber, each building
 *       its own frame text.
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@OperationsPerInvocation(FanoutBenchmark.CHANGES * FanoutBenchmark.SUBSCRIBERS)
public class FanoutBenchmark {

  static final int SUBSCRIBERS = 1000;
  static final int CHANGES = 20;
  private static final int EDITS = 64;

  /** Common to the three ways: the fixtures, ready-made edits and the next batch of changes. */
  @State(Scope.Benchmark)
  public abstract static class Base {
    /** {@code all}: no filter; {@code project}: {@code where=project_id:p1}, which every doc matches. */
    @Param({"all", "project"})
    String filter;

    Fixtures fx;
    Fixtures.Edit[] edits;
    final Change[] batch = new Change[CHANGES];
    long seq;
    long expected;

    Filter filter() {
      return filter.equals("all") ? Filter.ALL : Filter.parse("project_id:p1");
    }

    @Setup(Level.Trial)
    public void start() {
      fx = Fixtures.bench(64L << 20);
      edits = new Fixtures.Edit[EDITS];
      for (int i = 0; i < EDITS; i++) {
        edits[i] = Fixtures.Edit.of("doc-" + i, i, 200);
      }
      subscribe();
      expected = fx.barrier();
    }

    abstract void subscribe();

    @Setup(Level.Invocation)
    public void nextBatch() {
      for (int i = 0; i < CHANGES; i++) {
        batch[i] = edits[(int) (seq % EDITS)].change(++seq, Fixtures.BENCH);
      }
      expected += (long) CHANGES * SUBSCRIBERS;
    }

    long pushBatch() {
      for (Change c : batch) {
        fx.msgStore.push(c);
      }
      return fx.barrier();
    }

    @TearDown(Level.Iteration)
    public void check() {
      long seen = fx.barrier();
      if (seen != expected) {
        throw new IllegalStateException("delivered " + seen + " frames, expected " + expected);
      }
    }

    @TearDown(Level.Trial)
    public void stop() {
      fx.close();
    }

    /** Registers {@code consumer} on the MsgStore's address, on the fan-out's event loop. */
    void consume(io.vertx.core.Handler<Change> handler) {
      CompletableFuture<Void> done = new CompletableFuture<>();
      fx.context.runOnContext(v -> {
        MessageConsumer<Change> c = fx.vertx.eventBus().localConsumer(MsgStore.ADDRESS,
            m -> handler.handle(m.body()));
        c.completion().onComplete(ar -> done.complete(null));
      });
      Fixtures.join(done);
    }
  }

  /** The engine's fan-out. */
  public static class EngineState extends Base {
    @Override
    void subscribe() {
      fx.subscribe(SUBSCRIBERS, Fixtures.BENCH, filter());
    }
  }

  /** One consumer; the frame is serialized for each subscriber. */
  public static class SerializeState extends Base {
    @Override
    void subscribe() {
      Filter f = filter();
      List<StreamSink> sinks = new ArrayList<>();
      for (int i = 0; i < SUBSCRIBERS; i++) {
        sinks.add(new Fixtures.CountingSink(fx.delivered));
      }
      consume(change -> {
        ArrayNode ops = Patches.prefixed(Pointer.of(change.collection(), change.docId()),
            Patches.diff(change.before(), change.after()));
        for (StreamSink sink : sinks) {
          if (Delivery.of(f, change) == Delivery.NONE) {
            continue;
          }
          ObjectNode frame = Json.object();
          frame.set("JsonPatch", ops);
          frame.put("seq", change.seq());
          try {
            sink.write(Buffer.buffer(Json.MAPPER.writeValueAsBytes(frame)));
          } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
          }
        }
      });
    }
  }

  /** One event-bus consumer per subscriber, each encoding its own frame. */
  public static class ConsumerState extends Base {
    @Override
    void subscribe() {
      Filter f = filter();
      for (int i = 0; i < SUBSCRIBERS; i++) {
        StreamSink sink = new Fixtures.CountingSink(fx.delivered);
        consume(change -> {
          Delivery d = Delivery.of(f, change);
          if (d != Delivery.NONE) {
            sink.write(WsFrames.INSTANCE.live("", change.seq(), d.ops(change)));
          }
        });
      }
    }
  }

  @Benchmark
  public long engine(EngineState s) {
    return s.pushBatch();
  }

  @Benchmark
  public long naiveSerializePerSubscriber(SerializeState s) {
    return s.pushBatch();
  }

  @Benchmark
  public long naiveConsumerPerSubscriber(ConsumerState s) {
    return s.pushBatch();
  }
}
