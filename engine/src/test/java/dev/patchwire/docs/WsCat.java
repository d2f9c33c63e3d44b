package dev.patchwire.docs;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What {@code npx wscat -c URL} does in the docs' examples, for the test that runs them (npx
 * needs the network): connect, print every message as {@code < MESSAGE}. It stops, as a person
 * would press Ctrl-C, once a Ready has come and the stream has been quiet for a second
 * ({@code -Dwscat.quietMillis}), or after 15 s.
 */
public final class WsCat {

  private WsCat() {
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 2 || !args[0].equals("-c")) {
      System.err.println("usage: WsCat -c URL");
      System.exit(2);
    }
    long quietMillis = Long.getLong("wscat.quietMillis", 1000);
    AtomicLong lastMessage = new AtomicLong(System.nanoTime());
    StringBuilder partial = new StringBuilder();
    boolean[] ready = {false};
    HttpClient http = HttpClient.newHttpClient();
    WebSocket ws = http.newWebSocketBuilder().buildAsync(URI.create(args[1]), new WebSocket.Listener() {
      @Override
      public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
          String message = partial.toString();
          partial.setLength(0);
          synchronized (System.out) {
            System.out.println("< " + message);
            System.out.flush();
          }
          if (message.startsWith("{\"Ready\"")) {
            ready[0] = true;
          }
          lastMessage.set(System.nanoTime());
        }
        socket.request(1);
        return null;
      }

      @Override
      public CompletionStage<?> onClose(WebSocket socket, int code, String reason) {
        System.out.println("closed " + code + " " + reason);
        System.exit(0);
        return null;
      }
    }).get(10, TimeUnit.SECONDS);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (System.nanoTime() < deadline
        && !(ready[0] && System.nanoTime() - lastMessage.get() > TimeUnit.MILLISECONDS.toNanos(quietMillis))) {
      Thread.sleep(50);
    }
    ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(5, TimeUnit.SECONDS);
    System.exit(0);
  }
}
