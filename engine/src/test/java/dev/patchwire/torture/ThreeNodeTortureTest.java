package dev.patchwire.torture;

import dev.patchwire.testing.TestPostgres;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The convergence torture test on three engine JVMs sharing one PostgreSQL (issue 11): writers
 * and subscribers spread over the nodes, nodes killed with kill -9 or stopped and started again
 * on a seeded schedule, the clients of a node that is down going to another one (resuming with
 * {@code since}); then every subscriber must equal the REST snapshot of every node, every
 * acknowledged change must have reached every unfiltered subscriber, and no acknowledged write
 * may be lost. Same knobs as {@link ConvergenceTortureTest} ({@code -Dtorture.seed=N} ...).
 */
@DisplayName("Convergence under torture, three nodes on PostgreSQL")
class ThreeNodeTortureTest {

  @Test
  @DisplayName("three nodes, kill -9 and restarts of nodes: every subscriber converges with every node's REST, no ack lost")
  void threeNodes() throws Exception {
    Assumptions.assumeTrue(TestPostgres.binaries() != null, "PostgreSQL is not installed");
    new ConvergenceTortureTest().torture(TortureConfig.fromSystemProperties(3));
  }
}
