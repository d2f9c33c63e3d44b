package dev.patchwire.store;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What a write did.
 *
 * @param outcome created, updated, unchanged or deleted
 * @param doc the document now (null after a delete)
 * @param seq the change's seq, or the store's current seq when nothing changed
 * @param docVersion seq of the document's last change, the ETag (the deleted one's for a delete)
 */
public record WriteResult(Outcome outcome, ObjectNode doc, long seq, long docVersion) {

  /** The kinds of result. */
  public enum Outcome { CREATED, UPDATED, UNCHANGED, DELETED }
}
