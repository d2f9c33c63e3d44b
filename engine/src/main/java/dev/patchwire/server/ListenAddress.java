package dev.patchwire.server;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The URLs a person can open for a bound host and port. A wildcard bind (0.0.0.0, ::) is no
 * address to connect to: it becomes the loopback address first, then each interface's address.
 */
record ListenAddress(boolean wildcard, List<String> urls) {

  static ListenAddress of(String host, int port) {
    String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    boolean v4Any = h.equals("0.0.0.0");
    boolean v6Any = h.equals("::") || h.equals("0:0:0:0:0:0:0:0");
    if (!v4Any && !v6Any) {
      return new ListenAddress(false, List.of(url(h, port)));
    }
    List<String> urls = new ArrayList<>();
    urls.add(url("127.0.0.1", port));
    if (v6Any) {
      urls.add(url("::1", port));
    }
    try {
      for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        if (!nic.isUp() || nic.isLoopback()) {
          continue;
        }
        for (InetAddress a : Collections.list(nic.getInetAddresses())) {
          // link-local IPv6 needs a zone id no browser takes
          if ((v6Any || !(a instanceof Inet6Address)) && !a.isLinkLocalAddress()) {
            urls.add(url(a.getHostAddress(), port));
          }
        }
      }
    } catch (SocketException e) {
      // the loopback URL is enough
    }
    return new ListenAddress(true, List.copyOf(urls));
  }

  private static String url(String host, int port) {
    return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }
}
