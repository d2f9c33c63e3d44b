package dev.patchwire.hostile;

/**
 * One kind of hostile input and the exact refusal it must get: an HTTP status (or, for a
 * WebSocket stream, its close code; 0 when the stream must stay open) and the error code of the
 * JSON error body or error frame (null when none is sent, as with a 1009 close).
 */
public record Row(String area, String name, Probe probe, int status, String code, int orStatus) {

  public static Row of(String area, String name, int status, String code, Probe probe) {
    return new Row(area, name, probe, status, code, status);
  }

  /**
   * A row whose refusal may also arrive as {@code orStatus}: a client still sending a large frame
   * when the engine closes gets its connection reset by the kernel, and so 1006 instead of the
   * close frame the engine sent (the refusal itself is the same).
   */
  public static Row ofEither(String area, String name, int status, int orStatus, String code, Probe probe) {
    return new Row(area, name, probe, status, code, orStatus);
  }

  @Override
  public String toString() {
    return area + ": " + name;
  }
}
