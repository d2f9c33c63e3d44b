package dev.patchwire.structure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.patchwire.wire.CloseCode;
import dev.patchwire.wire.ErrorCode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The protocol's error codes and close codes are written in main code only in their enums
 * ({@code wire/ErrorCode}, {@code wire/CloseCode}): a code spelled out elsewhere could drift from
 * the enum that docs/protocol.md and the schemas are checked against (ErrorCodeTest).
 */
@DisplayName("The engine's main code")
class ProtocolLiteralsTest {

  private static final Path MAIN = Path.of("src/main/java/dev/patchwire");
  private static final Path ERROR_CODE = MAIN.resolve("wire/ErrorCode.java");
  private static final Path CLOSE_CODE = MAIN.resolve("wire/CloseCode.java");
  private static final Pattern STRING = Pattern.compile("\"((?:[^\"\\\\\\n]|\\\\.)*)\"");
  private static final Pattern NUMBER = Pattern.compile("(?<![\\w.])(\\d+)(?![\\w.])");

  @Test
  @DisplayName("names no error code but through ErrorCode")
  void noBareErrorCode() throws IOException {
    Set<String> codes = Arrays.stream(ErrorCode.values()).map(ErrorCode::wire).collect(Collectors.toSet());
    List<String> found = new ArrayList<>();
    for (Path f : sources()) {
      if (f.equals(ERROR_CODE)) {
        continue;
      }
      Matcher m = STRING.matcher(withoutComments(Files.readString(f)));
      while (m.find()) {
        if (codes.contains(m.group(1))) {
          found.add(MAIN.relativize(f) + ": \"" + m.group(1) + "\"");
        }
      }
    }
    assertEquals(List.of(), found, "error codes written as string literals (use ErrorCode)");
  }

  @Test
  @DisplayName("writes no close code as a number but in CloseCode")
  void noBareCloseCode() throws IOException {
    // 1000 is left out: as a number it is far more often a thousand (ms per second) than a close code
    Set<String> numbers = Arrays.stream(CloseCode.values()).filter(c -> c != CloseCode.NORMAL_CLOSURE)
        .map(c -> String.valueOf(c.code())).collect(Collectors.toSet());
    numbers.add("4000");
    List<String> found = new ArrayList<>();
    for (Path f : sources()) {
      if (f.equals(CLOSE_CODE)) {
        continue;
      }
      Matcher m = NUMBER.matcher(STRING.matcher(withoutComments(Files.readString(f))).replaceAll("\"\""));
      while (m.find()) {
        if (numbers.contains(m.group(1))) {
          found.add(MAIN.relativize(f) + ": " + m.group(1));
        }
      }
    }
    assertEquals(List.of(), found, "close codes written as numbers (use CloseCode)");
  }

  private static List<Path> sources() throws IOException {
    try (Stream<Path> walk = Files.walk(MAIN)) {
      List<Path> files = walk.filter(p -> p.toString().endsWith(".java")).toList();
      assertTrue(files.size() > 50, "found the engine's sources: " + files.size());
      return files;
    }
  }

  /** The source without its comments; string literals (which may hold {@code //}) are kept. */
  private static String withoutComments(String source) {
    StringBuilder out = new StringBuilder(source.length());
    int i = 0;
    while (i < source.length()) {
      char c = source.charAt(i);
      if (c == '"' || c == '\'') {
        int end = i + 1;
        while (end < source.length() && source.charAt(end) != c) {
          end += source.charAt(end) == '\\' ? 2 : 1;
        }
        out.append(source, i, Math.min(end + 1, source.length()));
        i = end + 1;
      } else if (source.startsWith("//", i)) {
        int end = source.indexOf('\n', i);
        i = end < 0 ? source.length() : end;
      } else if (source.startsWith("/*", i)) {
        int end = source.indexOf("*/", i + 2);
        i = end < 0 ? source.length() : end + 2;
      } else {
        out.append(c);
        i++;
      }
    }
    return out.toString();
  }
}
