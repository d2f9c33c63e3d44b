package dev.patchwire.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import org.slf4j.LoggerFactory;

/**
 * The server's logging: Logback, set up in code from {@code --log-level} and {@code --log-format}
 * (no logback.xml in the jar, so that an application embedding the engine keeps its own). Every
 * log line goes to stderr; stdout carries only the "listening on" line.
 */
final class Logging {

  private Logging() {
  }

  static void configure(String level, String format) {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.reset();
    Encoder<ILoggingEvent> encoder;
    if (format.equals("json")) {
      JsonEncoder json = new JsonEncoder();
      json.setWithSequenceNumber(false);
      json.setWithNanoseconds(false);
      json.setWithContext(false);
      json.setWithArguments(false);
      json.setWithMessage(false); // the pattern, with {} placeholders
      json.setWithFormattedMessage(true);
      encoder = json;
    } else {
      PatternLayoutEncoder text = new PatternLayoutEncoder();
      text.setPattern("%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level %logger{0} - %msg%n");
      encoder = text;
    }
    encoder.setContext(context);
    encoder.start();
    ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
    console.setContext(context);
    console.setName("stderr");
    console.setTarget("System.err");
    console.setEncoder(encoder);
    console.start();

    Level engine = Level.toLevel(level, Level.INFO);
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.addAppender(console);
    // debug and trace are for the engine's own loggers; Netty and Vert.x at debug drown them.
    root.setLevel(engine.isGreaterOrEqual(Level.INFO) ? engine : Level.INFO);
    context.getLogger("dev.patchwire").setLevel(engine);
    // Vert.x registers its per-consumer event-bus gauges once per event loop; Micrometer warns
    // about the (harmless) duplicates at start-up.
    context.getLogger("io.micrometer.core.instrument").setLevel(Level.ERROR);
  }
}
