package dev.patchwire.stream;

import dev.patchwire.msg.Change;

/** What one change means to one filtered stream. */
public enum Delivery {
  /** Neither before nor after matches: nothing to send. */
  NONE,
  /** Matches before and after: the update's own operations. */
  PATCH,
  /** Starts to match (or is created): {@code add} of the whole document. */
  ADD,
  /** Stops matching (or is deleted): {@code remove}. */
  REMOVE;

  public static Delivery of(Filter filter, Change change) {
    boolean before = change.before() != null && filter.matches(change.before());
    boolean after = change.after() != null && filter.matches(change.after());
    if (before && after) {
      return PATCH;
    }
    return after ? ADD : before ? REMOVE : NONE;
  }

  /** The JSON Patch operations (array text) this delivery sends for {@code change}. */
  public String ops(Change change) {
    return switch (this) {
      case PATCH -> change.patchOps();
      case ADD -> change.addOps();
      case REMOVE -> change.removeOps();
      case NONE -> throw new IllegalStateException("nothing to send");
    };
  }
}
