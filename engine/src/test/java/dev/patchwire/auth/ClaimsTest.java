package dev.patchwire.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.patchwire.json.Json;
import dev.patchwire.stream.Filter;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** How a token's claims become grants: no sockets, just the rules of docs/protocol.md (Auth). */
@DisplayName("A token's claims")
class ClaimsTest {

  private static Access access(String pw) {
    return Claims.parse(new JsonObject("{\"sub\":\"u\",\"exp\":4102444800,\"pw\":" + pw + "}"), "t");
  }

  private static boolean reads(Access a, String c, String doc) {
    return a.canRead(c) && a.readFilter(c).matches(Json.parse(doc));
  }

  @Test
  @DisplayName("grants are ORed, a where's fields ANDed, * is every collection, no grant is no access")
  void grants() {
    Access a = access("{\"read\":[{\"c\":\"tasks\",\"where\":{\"p\":\"42\",\"s\":\"todo\"}},"
        + "{\"c\":\"tasks\",\"where\":{\"p\":\"7\"}},{\"c\":\"notes\"}]}");
    assertTrue(reads(a, "tasks", "{\"p\":\"42\",\"s\":\"todo\"}"));
    assertFalse(reads(a, "tasks", "{\"p\":\"42\",\"s\":\"done\"}"), "where fields are ANDed");
    assertTrue(reads(a, "tasks", "{\"p\":\"7\",\"s\":\"done\"}"), "grants are ORed");
    assertTrue(reads(a, "notes", "{\"anything\":1}"), "no where: the whole collection");
    assertFalse(a.canRead("projects"));
    assertEquals(Filter.NONE.toString(), a.readFilter("projects").toString());
    assertFalse(a.canWrite("tasks"), "read grants grant no writes");
    assertFalse(a.admin());

    Access all = access("{\"read\":[{\"c\":\"*\"}],\"write\":[{\"c\":\"*\",\"where\":{\"owner\":\"u\"}}]}");
    assertTrue(all.readFilter("anything").isAll());
    assertTrue(all.canWrite("x") && all.writeFilter("x").matches(Json.parse("{\"owner\":\"u\"}")));
    assertFalse(all.writeFilter("x").matches(Json.parse("{\"owner\":\"v\"}")));
  }

  @Test
  @DisplayName("a grant's value matches as where=F:V does: strings by text, numbers by value, never objects")
  void values() {
    Access text = access("{\"read\":[{\"c\":\"t\",\"where\":{\"n\":\"42\"}}]}");
    Access number = access("{\"read\":[{\"c\":\"t\",\"where\":{\"n\":42}}]}");
    Access flag = access("{\"read\":[{\"c\":\"t\",\"where\":{\"done\":true,\"gone\":null}}]}");
    for (Access a : new Access[] {text, number}) {
      assertTrue(reads(a, "t", "{\"n\":\"42\"}"));
      assertTrue(reads(a, "t", "{\"n\":42.0}"));
      assertFalse(reads(a, "t", "{\"n\":\"42.0\"}"));
      assertFalse(reads(a, "t", "{\"n\":{\"v\":42}}"));
      assertFalse(reads(a, "t", "{\"m\":42}"));
    }
    assertTrue(reads(flag, "t", "{\"done\":true,\"gone\":null}"));
    // exactly as where=done:true, which also matches the string "true"
    assertEquals(reads(flag, "t", "{\"done\":\"true\",\"gone\":null}"),
        Filter.parse("done:true").matches(Json.parse("{\"done\":\"true\"}")));
    assertFalse(reads(flag, "t", "{\"done\":false,\"gone\":null}"));
  }

  @Test
  @DisplayName("the scope hash depends on the read grants only, not on their order, sub, write grants or admin")
  void scope() {
    String s = access("{\"read\":[{\"c\":\"a\",\"where\":{\"x\":\"1\",\"y\":\"2\"}},{\"c\":\"b\"}]}").scope();
    assertTrue(s.matches("[0-9a-f]{16}"), s);
    assertEquals(s, access("{\"read\":[{\"c\":\"b\"},{\"c\":\"a\",\"where\":{\"y\":\"2\",\"x\":\"1\"}}],"
        + "\"write\":[{\"c\":\"a\"}],\"admin\":true}").scope());
    assertNotEquals(s, access("{\"read\":[{\"c\":\"a\",\"where\":{\"x\":\"1\"}},{\"c\":\"b\"}]}").scope());
    assertNotEquals(s, access("{\"read\":[{\"c\":\"a\",\"where\":{\"x\":\"1\",\"y\":\"3\"}},{\"c\":\"b\"}]}").scope());
    assertNotEquals(access("{\"read\":[{\"c\":\"a,b\"}]}").scope(), access("{\"read\":[{\"c\":\"a\"},{\"c\":\"b\"}]}").scope());
  }

  @Test
  @DisplayName("exp is required and a number; sub a string; the rate key is the sub, else the token")
  void required() {
    assertThrows(AuthFailure.class, () -> Claims.parse(new JsonObject("{\"sub\":\"u\"}"), "t"));
    assertThrows(AuthFailure.class, () -> Claims.parse(new JsonObject("{\"exp\":\"4102444800\"}"), "t"));
    assertThrows(AuthFailure.class, () -> Claims.parse(new JsonObject("{\"exp\":4102444800,\"sub\":[]}"), "t"));
    assertEquals(4102444800_000L, access("{}").expiresAtMillis());
    assertEquals("sub:u", access("{}").rateKey());
    Access a1 = Claims.parse(new JsonObject("{\"exp\":4102444800}"), "token-1");
    Access a2 = Claims.parse(new JsonObject("{\"exp\":4102444800}"), "token-2");
    assertNotEquals(a1.rateKey(), a2.rateKey(), "without sub, each token has its own budget");
  }
}
