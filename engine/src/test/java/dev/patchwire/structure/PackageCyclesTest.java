package dev.patchwire.structure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The engine's packages import one another one way only: a cycle (http and transport importing
 * each other, say) means two jobs that cannot be read, changed or tested apart. The one exception
 * is the public API and its implementation (dev.patchwire's {@code create()} returns an
 * {@code impl} object, as in Vert.x).
 */
@DisplayName("The engine's packages")
class PackageCyclesTest {

  private static final Path MAIN = Path.of("src/main/java/dev/patchwire");
  private static final Pattern PACKAGE = Pattern.compile("^package dev\\.patchwire\\.?([\\w.]*);", Pattern.MULTILINE);
  private static final Pattern IMPORT = Pattern.compile(
      "^import (?:static )?dev\\.patchwire\\.(?:([a-z]\\w*)\\.|[A-Z])", Pattern.MULTILINE);
  private static final Set<List<String>> ALLOWED = Set.of(List.of("", "impl"));

  @Test
  @DisplayName("have no import cycle")
  void noCycles() throws IOException {
    Map<String, Set<String>> imports = new TreeMap<>();
    List<Path> files;
    try (Stream<Path> walk = Files.walk(MAIN)) {
      files = walk.filter(p -> p.toString().endsWith(".java")).toList();
    }
    assertTrue(files.size() > 50, "found the engine's sources: " + files.size());
    for (Path f : files) {
      String text = Files.readString(f);
      Matcher pm = PACKAGE.matcher(text);
      assertTrue(pm.find(), "no package line in " + f);
      String pkg = pm.group(1);
      Matcher im = IMPORT.matcher(text);
      while (im.find()) {
        String to = im.group(1) == null ? "" : im.group(1);
        if (!to.equals(pkg)) {
          imports.computeIfAbsent(pkg, k -> new TreeSet<>()).add(to);
        }
      }
    }
    List<String> cycles = new ArrayList<>();
    for (String from : imports.keySet()) {
      findCycles(from, from, new ArrayList<>(List.of(from)), new HashSet<>(), imports, cycles);
    }
    assertEquals(List.of(), cycles, "package import cycles (a -> b means a imports b)");
  }

  /** Records each cycle once, from its smallest package, skipping the allowed API/impl pair. */
  private static void findCycles(String start, String at, List<String> path, Set<String> seen,
      Map<String, Set<String>> imports, List<String> out) {
    for (String next : imports.getOrDefault(at, Set.of())) {
      if (next.equals(start)) {
        List<String> pair = path.size() == 2 ? List.of(path.get(0), path.get(1)) : null;
        boolean allowed = pair != null && (ALLOWED.contains(pair) || ALLOWED.contains(List.of(pair.get(1), pair.get(0))));
        if (!allowed && path.stream().allMatch(p -> p.compareTo(start) >= 0)) {
          out.add(String.join(" -> ", path.stream().map(p -> p.isEmpty() ? "(api)" : p).toList()) + " -> "
              + (start.isEmpty() ? "(api)" : start));
        }
      } else if (next.compareTo(start) > 0 && seen.add(next)) {
        path.add(next);
        findCycles(start, next, path, seen, imports, out);
        path.remove(path.size() - 1);
      }
    }
  }
}
