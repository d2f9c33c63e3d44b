package dev.patchwire;

import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * How an embedded engine is set up. Setters validate at once; {@link #toJson()} and
 * {@link #PatchwireOptions(JsonObject)} round-trip, for configuration files.
 */
public final class PatchwireOptions {

  public static final String DEFAULT_DATA_DIR = "data";
  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final long DEFAULT_HISTORY_BYTES = 64L << 20;
  public static final long DEFAULT_SUBSCRIBER_BUFFER_BYTES = 1L << 20;
  public static final long DEFAULT_MAX_BODY_BYTES = 1L << 20;

  private String dataDir = DEFAULT_DATA_DIR;
  private String host = DEFAULT_HOST;
  private long historyBytes = DEFAULT_HISTORY_BYTES;
  private long subscriberBufferBytes = DEFAULT_SUBSCRIBER_BUFFER_BYTES;
  private long maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
  private String corsOrigins;
  private String allowedHosts;
  /** Name to JSON Schema, or to null for any JSON object. */
  private final Map<String, JsonObject> collections = new LinkedHashMap<>();

  public PatchwireOptions() {
  }

  public PatchwireOptions(PatchwireOptions other) {
    this(other.toJson());
  }

  /** From {@link #toJson()}'s shape; absent fields keep their defaults. */
  public PatchwireOptions(JsonObject json) {
    setDataDir(json.getString("dataDir", DEFAULT_DATA_DIR));
    setHost(json.getString("host", DEFAULT_HOST));
    setHistoryBytes(json.getLong("historyBytes", DEFAULT_HISTORY_BYTES));
    setSubscriberBufferBytes(json.getLong("subscriberBufferBytes", DEFAULT_SUBSCRIBER_BUFFER_BYTES));
    setMaxBodyBytes(json.getLong("maxBodyBytes", DEFAULT_MAX_BODY_BYTES));
    corsOrigins = json.getString("corsOrigins");
    allowedHosts = json.getString("allowedHosts");
    JsonObject c = json.getJsonObject("collections", new JsonObject());
    for (String name : c.fieldNames()) {
      Object schema = c.getValue(name);
      if (schema == null) {
        addCollection(name);
      } else {
        addCollection(name, c.getJsonObject(name));
      }
    }
  }

  public JsonObject toJson() {
    JsonObject c = new JsonObject();
    collections.forEach((name, schema) -> c.put(name, schema == null ? null : schema.copy()));
    JsonObject json = new JsonObject()
        .put("dataDir", dataDir)
        .put("host", host)
        .put("historyBytes", historyBytes)
        .put("subscriberBufferBytes", subscriberBufferBytes)
        .put("maxBodyBytes", maxBodyBytes)
        .put("collections", c);
    if (corsOrigins != null) {
      json.put("corsOrigins", corsOrigins);
    }
    if (allowedHosts != null) {
      json.put("allowedHosts", allowedHosts);
    }
    return json;
  }

  /** A collection of any JSON objects. */
  public PatchwireOptions addCollection(String name) {
    collections.put(checkName(name), null);
    return this;
  }

  /** A collection whose documents must match {@code schema}, a JSON Schema (draft 2020-12). */
  public PatchwireOptions addCollection(String name, JsonObject schema) {
    collections.put(checkName(name), Objects.requireNonNull(schema, "schema").copy());
    return this;
  }

  private static String checkName(String name) {
    if (name == null || !name.matches("[A-Za-z0-9_-]{1,64}")) {
      throw new IllegalArgumentException("collection name must be 1-64 of A-Z a-z 0-9 _ -, got '" + name + "'");
    }
    return name;
  }

  /** The H2 database folder (default {@code data}). */
  public PatchwireOptions setDataDir(String dataDir) {
    this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
    return this;
  }

  /** The address {@link Patchwire#listen} binds (default 127.0.0.1). */
  public PatchwireOptions setHost(String host) {
    this.host = Objects.requireNonNull(host, "host");
    return this;
  }

  /** Recent changes kept in memory for resume (default 64 MiB). */
  public PatchwireOptions setHistoryBytes(long bytes) {
    this.historyBytes = positive("historyBytes", bytes);
    return this;
  }

  /** Live bytes held for one slow subscriber before it is resynced (default 1 MiB). */
  public PatchwireOptions setSubscriberBufferBytes(long bytes) {
    this.subscriberBufferBytes = positive("subscriberBufferBytes", bytes);
    return this;
  }

  /** The largest request body over HTTP (default 1 MiB). */
  public PatchwireOptions setMaxBodyBytes(long bytes) {
    this.maxBodyBytes = positive("maxBodyBytes", bytes);
    return this;
  }

  /** As the server's {@code --cors-origin}: comma-separated origins or {@code *}; null for none. */
  public PatchwireOptions setCorsOrigins(String origins) {
    this.corsOrigins = origins;
    return this;
  }

  /** As the server's {@code --allowed-hosts}: the Host names served; null for the default. */
  public PatchwireOptions setAllowedHosts(String hosts) {
    this.allowedHosts = hosts;
    return this;
  }

  private static long positive(String what, long v) {
    if (v <= 0) {
      throw new IllegalArgumentException(what + " must be positive, got " + v);
    }
    return v;
  }

  public String getDataDir() { return dataDir; }
  public String getHost() { return host; }
  public long getHistoryBytes() { return historyBytes; }
  public long getSubscriberBufferBytes() { return subscriberBufferBytes; }
  public long getMaxBodyBytes() { return maxBodyBytes; }
  public String getCorsOrigins() { return corsOrigins; }
  public String getAllowedHosts() { return allowedHosts; }

  /** The collections, name to schema (null: any JSON object), in the order added. */
  public Map<String, JsonObject> getCollections() {
    Map<String, JsonObject> copy = new LinkedHashMap<>();
    collections.forEach((k, v) -> copy.put(k, v == null ? null : v.copy()));
    return copy;
  }
}
