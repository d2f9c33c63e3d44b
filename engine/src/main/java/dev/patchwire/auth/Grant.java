package dev.patchwire.auth;

import dev.patchwire.stream.Filter;

/**
 * One grant of a token: a collection ({@code "*"} for every one) and the documents of it the
 * grant covers, an AND of top-level field equalities ({@link Filter#ALL} without {@code where}).
 *
 * @param canonical a stable text of the grant, for the scope hash
 */
public record Grant(String collection, Filter where, String canonical) {

  public static final String ANY_COLLECTION = "*";

  public boolean appliesTo(String c) {
    return collection.equals(ANY_COLLECTION) || collection.equals(c);
  }
}
