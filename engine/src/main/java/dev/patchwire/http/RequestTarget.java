package dev.patchwire.http;

/**
 * The request target as it came on the request line. RFC 3986 allows only printable ASCII in a
 * URI (anything else is percent-encoded); Netty hands other bytes over one char each, so a raw
 * {@code 0xFF} would reach the routes as {@code ÿ}. Such a target is refused, not guessed at.
 */
final class RequestTarget {

  private RequestTarget() {
  }

  /** Why {@code uri} is no valid request target, or null when it is. */
  static String problem(String uri) {
    for (int i = 0; i < uri.length(); i++) {
      char c = uri.charAt(i);
      if (c <= 0x20 || c >= 0x7F) {
        return String.format("the request target holds the byte 0x%02X at %d: a URI is printable ASCII, "
            + "anything else must be percent-encoded (RFC 3986)", (int) c & 0xFF, i);
      }
    }
    return null;
  }
}
