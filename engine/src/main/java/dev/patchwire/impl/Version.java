package dev.patchwire.impl;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The engine's version, written into {@code version.properties} by the build (resource filtering). */
public final class Version {

  private static final String VERSION = read();

  private Version() {
  }

  /** For example {@code 0.1.0-SNAPSHOT}; {@code unknown} when run from classes the build did not filter. */
  public static String current() {
    return VERSION;
  }

  private static String read() {
    try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(in);
      String v = p.getProperty("version", "unknown");
      return v.startsWith("${") ? "unknown" : v;
    } catch (IOException e) {
      return "unknown";
    }
  }
}
