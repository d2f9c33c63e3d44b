/**
 * {@code java -jar patchwire.jar}: the command line, logging, start-up lines, signals and exit
 * codes around the library's engine. Internal, like every package but {@link dev.patchwire}.
 */
package dev.patchwire.server;
