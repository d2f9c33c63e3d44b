package dev.patchwire.json;

/** RFC 6901 JSON Pointer segments, so that no path is ever put together by hand. */
public final class Pointer {

  private Pointer() {
  }

  /** Escapes one reference token: {@code ~} becomes {@code ~0}, {@code /} becomes {@code ~1}. */
  public static String escape(String segment) {
    if (segment.indexOf('~') < 0 && segment.indexOf('/') < 0) {
      return segment;
    }
    return segment.replace("~", "~0").replace("/", "~1");
  }

  /** The pointer made of the given unescaped segments, for example {@code /tasks/a~1b}. */
  public static String of(String... segments) {
    StringBuilder sb = new StringBuilder();
    for (String s : segments) {
      sb.append('/').append(escape(s));
    }
    return sb.toString();
  }
}
