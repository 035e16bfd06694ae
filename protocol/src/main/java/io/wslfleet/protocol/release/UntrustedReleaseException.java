package io.wslfleet.protocol.release;

/** A release that must not be installed. Nothing has been changed when this is thrown. */
public class UntrustedReleaseException extends Exception {
    public enum Reason {
        UNSIGNED, UNKNOWN_KEY, BAD_SIGNATURE, MALFORMED_MANIFEST, CHECKSUM_MISMATCH, SIZE_MISMATCH
    }

    private final Reason reason;

    public UntrustedReleaseException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
