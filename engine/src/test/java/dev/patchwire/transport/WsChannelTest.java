package dev.patchwire.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Holds {@link WsChannel} to the Vert.x and Netty internals it relies on (issue #13 target 7), on
 * a real server and real clients over 127.0.0.1: if a Vert.x upgrade changes any of them, this
 * fails, naming which, instead of the engine sending frames slowly, twice or never.
 */
@ExtendWith(VertxExtension.class)
@DisplayName("The WebSocket fast path's use of Vert.x internals")
class WsChannelTest {

  static Vertx vertx;
  static HttpServer server;
  static WebSocketClient client;
  static final BlockingQueue<ServerWebSocket> accepted = new LinkedBlockingQueue<>();

  /** The Vertx VertxExtension gives a {@code @BeforeAll} lives for the whole class and is closed after it. */
  @BeforeAll
  static void start(Vertx classVertx) throws Exception {
    vertx = classVertx;
    // Upgraded as the engine does: toWebSocket() on the server's own request.
    server = vertx.createHttpServer().requestHandler(req -> req.toWebSocket().onSuccess(accepted::add));
    server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    client = vertx.createWebSocketClient();
  }

  /** A client and the server's end of it. */
  private record Pair(WebSocket client, WsChannel server, List<String> messages, CompletableFuture<Short> closed) {
  }

  private static Pair connect() throws Exception {
    List<String> messages = new CopyOnWriteArrayList<>();
    CompletableFuture<Short> closed = new CompletableFuture<>();
    WebSocket ws = client.connect(server.actualPort(), "127.0.0.1", "/")
        .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    ws.textMessageHandler(messages::add);
    ws.closeHandler(v -> closed.complete(ws.closeStatusCode()));
    ServerWebSocket serverSide = accepted.poll(30, TimeUnit.SECONDS);
    // 1. the cast to WebSocketImplBase and its channel context
    return new Pair(ws, WsChannel.of(serverSide), messages, closed);
  }

  private static void waitFor(String what, java.util.function.BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!done.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out: " + what);
      Thread.sleep(5);
    }
  }

  @Test
  @DisplayName("frames written at the channel context reach the wire, wait for the flush, and share one unconsumed Buffer")
  void writesFlushAndSharing() throws Exception {
    Pair a = connect();
    Pair b = connect();
    Buffer frame = Buffer.buffer("{\"JsonPatch\":[],\"seq\":1}");
    String text = frame.toString();
    a.server().write(frame);
    a.server().write(frame);
    a.server().write(frame);
    b.server().write(frame);
    Thread.sleep(300);
    assertEquals(List.of(), a.messages(), "a frame written without a flush must wait for it (coalesced writes)");
    assertEquals(List.of(), b.messages());
    a.server().flush();
    b.server().flush();
    waitFor("the flushed frames", () -> a.messages().size() == 3 && b.messages().size() == 1);
    assertEquals(List.of(text, text, text), a.messages(), "one Buffer written three times arrives three times whole");
    assertEquals(List.of(text), b.messages(), "the same Buffer on a second socket");
    assertEquals(text, frame.toString(), "writing neither consumed nor freed the shared Buffer");
    assertEquals(text.length(), WsChannel.bytes(frame).readableBytes(), "getByteBuf is a fresh view of all the bytes");

    b.server().writeAndFlush(frame);
    waitFor("writeAndFlush", () -> b.messages().size() == 2);

    // fragments: one text message in a text frame and continuation frames
    a.server().writeFragment(Buffer.buffer("{\"a\":"), true, false);
    a.server().writeFragment(Buffer.buffer("\"bc"), false, false);
    a.server().writeFragment(Buffer.buffer("d\"}"), false, true);
    waitFor("the fragmented message", () -> a.messages().size() == 4);
    assertEquals("{\"a\":\"bcd\"}", a.messages().get(3), "continuation frames make one message");

    a.server().closeNow(1009, "too big");
    assertEquals((short) 1009, a.closed().get(20, TimeUnit.SECONDS), "the close frame goes out before the close");
    b.client().close();
  }

  @Test
  @DisplayName("the channel turns unwritable past the high-water mark and the drain probe fires once the socket took everything")
  void backPressureAndDrainProbe() throws Exception {
    Pair p = connect();
    AtomicLong received = new AtomicLong();
    p.client().textMessageHandler(null);
    p.client().frameHandler(f -> received.addAndGet(f.binaryData().length()));
    p.client().pause();
    Buffer big = Buffer.buffer("x".repeat(60 * 1024));  // under the client's 64 KiB frame limit
    long written = 0;
    // Write until the kernel's buffers are full too: unwritable and still so a moment later.
    boolean full = false;
    for (int i = 0; i < 4096 && !full; i++) {
      if (!p.server().isWritable()) {
        Thread.sleep(100);
        full = !p.server().isWritable();
        continue;
      }
      p.server().writeAndFlush(big);
      written += big.length();
      if (i % 8 == 7) {
        Thread.sleep(2);  // let the event loop run the writes
      }
    }
    assertTrue(full, "the channel turns unwritable while the client reads nothing (" + written + " bytes written)");
    CountDownLatch drained = new CountDownLatch(1);
    p.server().probeDrain(drained::countDown, () -> { });
    assertFalse(drained.await(300, TimeUnit.MILLISECONDS), "the probe waits behind the pending frames");
    p.client().resume();
    assertTrue(drained.await(20, TimeUnit.SECONDS), "the probe completes once the socket took everything");
    assertTrue(p.server().isWritable(), "writable again after the drain");
    long expected = written;
    waitFor("every byte at the client", () -> received.get() == expected);
    p.client().close();
  }
}
