package dev.patchwire.hostile;

/**
 * One kind of hostile input and the exact refusal it must get: an HTTP status (or, for a
 * WebSocket stream, its close code; 0 when the stream must stay open) and the error code of the
 * JSON error body or error frame (null when none is sent, as with a 1009 close).
 */
public record Row(String area, String name, Probe probe, int status, String code) {

  public static Row of(String area, String name, int status, String code, Probe probe) {
    return new Row(area, name, probe, status, code);
  }

  @Override
  public String toString() {
    return area + ": " + name;
  }
}
