package dev.patchwire.testing;

import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.Signature;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Builds JWTs byte by byte for the tests, so that a test can make every kind of bad token
 * (alg none, a wrong algorithm, a tampered payload) that a JWT library would refuse to sign.
 */
public final class Jwt {

  /** A 32-byte HS256 secret for the engines of the auth tests. */
  public static final String SECRET = "test-secret-0123456789abcdef0123456789";

  private Jwt() {
  }

  public static String b64(String text) {
    return b64(text.getBytes(StandardCharsets.UTF_8));
  }

  public static String b64(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** Seconds since the epoch, plus {@code delta}. */
  public static long now(long delta) {
    return System.currentTimeMillis() / 1000 + delta;
  }

  /** An HS256 token of {@code payloadJson} signed with {@link #SECRET}. */
  public static String hs256(String payloadJson) {
    return hs256(SECRET, payloadJson);
  }

  public static String hs256(String secret, String payloadJson) {
    return hmac("HS256", "HmacSHA256", secret, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payloadJson);
  }

  /** Any header, signed with HMAC {@code javaAlg} (HmacSHA256, HmacSHA384). */
  public static String hmac(String alg, String javaAlg, String secret, String headerJson, String payloadJson) {
    String input = b64(headerJson) + "." + b64(payloadJson);
    try {
      Mac mac = Mac.getInstance(javaAlg);
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), javaAlg));
      return input + "." + b64(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** An RS256 token signed with {@code key}. */
  public static String rs256(PrivateKey key, String payloadJson) {
    String input = b64("{\"alg\":\"RS256\",\"typ\":\"JWT\"}") + "." + b64(payloadJson);
    try {
      Signature s = Signature.getInstance("SHA256withRSA");
      s.initSign(key);
      s.update(input.getBytes(StandardCharsets.US_ASCII));
      return input + "." + b64(s.sign());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** An ES256 token signed with the P-256 {@code key} (JWS wants R||S, not DER). */
  public static String es256(PrivateKey key, String payloadJson) {
    String input = b64("{\"alg\":\"ES256\",\"typ\":\"JWT\"}") + "." + b64(payloadJson);
    try {
      Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
      s.initSign(key);
      s.update(input.getBytes(StandardCharsets.US_ASCII));
      return input + "." + b64(s.sign());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** A public key as PEM ({@code -----BEGIN PUBLIC KEY-----}). */
  public static String pem(java.security.PublicKey key) {
    return "-----BEGIN PUBLIC KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getEncoded())
        + "\n-----END PUBLIC KEY-----\n";
  }

  /** {@code {"sub":sub,"exp":now+ttl,"pw":pwJson}}. */
  public static String claims(String sub, long ttlSeconds, String pwJson) {
    return "{" + (sub == null ? "" : "\"sub\":\"" + sub + "\",") + "\"exp\":" + now(ttlSeconds)
        + ",\"pw\":" + pwJson + "}";
  }

  /** A valid HS256 token: {@code sub}, valid for {@code ttlSeconds}, with the grants {@code pwJson}. */
  public static String token(String sub, long ttlSeconds, String pwJson) {
    return hs256(claims(sub, ttlSeconds, pwJson));
  }
}
