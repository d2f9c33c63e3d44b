/**
 * Internal to the engine: not part of its API (that is {@link dev.patchwire.Patchwire} and its
 * package), and free to change. {@link dev.patchwire.impl.PatchwireImpl} is the API on an
 * {@link dev.patchwire.impl.Engine} (the store, the streams, the HTTP verticles), set up from
 * {@link dev.patchwire.impl.EngineOptions}, every setting the server's flags can give; the server's
 * Main comes in through {@link dev.patchwire.impl.PatchwireImpl#forServer}.
 */
package dev.patchwire.impl;
