/// What both listeners offer for TLS 1.2: ECDHE key exchange with AES-GCM or ChaCha20-Poly1305
/// only (TLS 1.3 suites are all AEAD and always on).
public enum TLSPolicy {
    public static let cipherSuites = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
        + "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
}
