package dev.patchwire.tools;

/** {@code patchwire.jar record URL} and {@code patchwire.jar replay FILE [--against URL]}. Being built. */
public final class StreamTool {

  private StreamTool() {
  }

  /** Runs the sub-command in {@code args[0]}; returns the process exit code. */
  public static int run(String[] args) {
    System.err.println("patchwire: '" + args[0] + "' is not built yet");
    return 2;
  }
}
