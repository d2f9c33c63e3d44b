package dev.patchwire.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class PositionTest {

  @Test
  @DisplayName("parses positions and rejects malformed ones")
  void parsesPositions() {
    assertEquals(new Position("abc", 42), Position.parse("abc:42"));
    assertEquals(new Position("a:b", 1), Position.parse("a:b:1"), "the seq is after the last colon");
    assertNull(Position.parse(null));
    assertNull(Position.parse("abc"));
    assertNull(Position.parse(":5"));
    assertNull(Position.parse("abc:"));
    assertNull(Position.parse("abc:-1"));
    assertNull(Position.parse("abc:x"));
  }

  @Test
  @DisplayName("require throws on what parse rejects, and round-trips what it accepts")
  void requireThrowsOnMalformed() {
    assertEquals("e:7", Position.require("e:7").toString());
    assertThrows(IllegalArgumentException.class, () -> Position.require("e:"));
    assertThrows(IllegalArgumentException.class, () -> Position.require(null));
  }

  @Test
  @DisplayName("a 44xx close code is its refusal's HTTP status plus 4000")
  void closeCodesMirrorHttpStatus() {
    assertEquals(4401, CloseCode.ofHttpStatus(401).code());
    assertEquals(4403, CloseCode.ofHttpStatus(403).code());
    assertEquals(4429, CloseCode.TOO_MANY_REQUESTS.code());
    assertThrows(IllegalArgumentException.class, () -> CloseCode.ofHttpStatus(500));
  }
}
