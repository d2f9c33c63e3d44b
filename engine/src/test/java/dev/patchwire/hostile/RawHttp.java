package dev.patchwire.hostile;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, byte for byte as written: for requests no well-behaved client
 * sends (another Host, no Host, odd methods, trickled heads). Loopback only; {@code from} picks
 * the client address (any 127.x.y.z is loopback on Linux), so a test can be "another client".
 */
final class RawHttp implements AutoCloseable {

  /** An answer: status, headers (lower-case names) and body text. */
  record Answer(int status, Map<String, String> headers, String body) {
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  final Socket socket;
  final InputStream in;
  final OutputStream out;

  private RawHttp(Socket socket) throws IOException {
    this.socket = socket;
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
  }

  static RawHttp open(int port) {
    return open("127.0.0.1", port);
  }

  static RawHttp open(String from, int port) {
    try {
      Socket s = new Socket();
      s.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
      s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      s.setSoTimeout(10_000);
      return new RawHttp(s);
    } catch (IOException e) {
      throw new AssertionError("cannot connect from " + from + " to " + port, e);
    }
  }

  /** One request on a new connection; its answer. */
  static Answer exchange(int port, String request) {
    try (RawHttp c = open(port)) {
      c.send(request);
      return c.readAnswer();
    }
  }

  void send(String text) {
    send(text.getBytes(StandardCharsets.UTF_8));
  }

  void send(byte[] bytes) {
    try {
      out.write(bytes);
      out.flush();
    } catch (IOException e) {
      throw new AssertionError("send failed", e);
    }
  }

  /** Reads one answer with a Content-Length body (or none). */
  Answer readAnswer() {
    try {
      String head = readHead();
      String[] lines = head.split("\r\n");
      int status = Integer.parseInt(lines[0].split(" ")[1]);
      Map<String, String> headers = new LinkedHashMap<>();
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        if (colon > 0) {
          headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
        }
      }
      int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
      byte[] body = in.readNBytes(length);
      return new Answer(status, headers, new String(body, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new AssertionError("no answer", e);
    }
  }

  String readHead() throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("closed after " + head.size() + " bytes: " + head);
      }
      head.write(b);
      matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return head.toString(StandardCharsets.ISO_8859_1);
  }

  /**
   * Waits up to {@code millis} for the server to close the connection, discarding what it sends;
   * the milliseconds it took, or -1 if it stayed open.
   */
  long millisUntilClosed(long millis) {
    long start = System.nanoTime();
    try {
      socket.setSoTimeout(200);
      while ((System.nanoTime() - start) / 1_000_000 < millis) {
        try {
          if (in.read() < 0) {
            return (System.nanoTime() - start) / 1_000_000;
          }
        } catch (SocketTimeoutException e) {
          // still open
        }
      }
      return -1;
    } catch (IOException e) {
      return (System.nanoTime() - start) / 1_000_000;  // reset: closed too
    }
  }

  /** A server frame of a WebSocket (unmasked): its opcode and payload. */
  record WsFrame(int opcode, byte[] payload) {
    String text() {
      return new String(payload, StandardCharsets.UTF_8);
    }

    int closeCode() {
      return ((payload[0] & 0xff) << 8) | (payload[1] & 0xff);
    }
  }

  WsFrame readWsFrame() throws IOException {
    int b0 = in.read();
    int b1 = in.read();
    if (b0 < 0 || b1 < 0) {
      throw new IOException("closed");
    }
    long len = b1 & 0x7f;
    if (len == 126) {
      len = ((in.read() & 0xff) << 8) | (in.read() & 0xff);
    } else if (len == 127) {
      len = 0;
      for (int i = 0; i < 8; i++) {
        len = (len << 8) | (in.read() & 0xff);
      }
    }
    return new WsFrame(b0 & 0x0f, in.readNBytes((int) len));
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing a socket the server already closed
    }
  }
}
