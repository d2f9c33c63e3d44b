/** Internal to the engine: not part of its API (that is {@link dev.patchwire.Patchwire} and its package), and free to change. */
package dev.patchwire.http;
